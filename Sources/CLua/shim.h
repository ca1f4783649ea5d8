#pragma once
// Lua 5.4's headers: Debian's liblua5.4-dev keeps them in /usr/include/lua5.4 (found here
// without pkg-config, see Package.swift); elsewhere pkg-config's include path finds them.
#if __has_include(<lua5.4/lua.h>)
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
#else
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#endif
