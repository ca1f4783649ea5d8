// The commit comes from build_commit.h, which `make` writes (and rewrites only when the commit
// changes, so an unchanged tree rebuilds nothing). It is not in the repository: a plain
// `swift build` has none, and the commit reads "unknown". Only this file includes it, so a new
// commit recompiles one C file and relinks, nothing else.
#include "CBuildInfo.h"

#if __has_include("build_commit.h")
#include "build_commit.h"
#endif

#ifndef KOSMO_BUILD_COMMIT
#define KOSMO_BUILD_COMMIT "unknown"
#endif

const char *kosmo_build_commit(void) { return KOSMO_BUILD_COMMIT; }
