// CLuaBridge: the only C in kosmo-lua. Everything here exists because Lua raises errors with
// longjmp, and a longjmp must never cross a Swift frame (docs/architecture.md, "Rules that keep the host safe").
#ifndef CLUA_BRIDGE_H
#define CLUA_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
// Lua's headers as the CLua module finds them (under <lua5.4/…> on Debian, else pkg-config's).
#include "../../CLua/shim.h"

/// Which limit ended a run; recorded before the error is raised so the host can classify it
/// even when the script replaced the error value.
typedef enum {
    KL_LIMIT_NONE = 0,
    KL_LIMIT_MEMORY = 1,
    KL_LIMIT_INSTRUCTIONS = 2,
    KL_LIMIT_DEADLINE = 3,
    KL_LIMIT_INTERRUPT = 4,
} kl_limit;

/// What a Swift host function tells the trampoline.
static const int KL_HOST_ERROR = -1;   // error value is on top of the stack: raise it
static const int KL_HOST_YIELD = -2;   // yield the task; the scheduler resumes it with (ok, values...)

/// Signature of the single Swift dispatcher: `id` names the registered host function.
/// Returns the number of results pushed, or KL_HOST_ERROR / KL_HOST_YIELD.
typedef int (*kl_dispatcher)(lua_State *L, lua_Integer id);

/// Per-state host data, reachable from any thread of the state through the allocator's ud.
typedef struct kl_state {
    size_t used, peak, limit;         // bytes; limit 0 = unlimited
    int in_lua;                       // allocations may fail only while Lua code runs
    int exceeded;                     // Swift allocated past the limit; raise when back in C
    volatile int limit_hit;           // kl_limit
    uint64_t instructions, instruction_limit;   // limit 0 = unlimited
    uint64_t deadline_ns;             // CLOCK_MONOTONIC; 0 = none
    volatile int interrupt;           // set by a signal handler (Ctrl-C)
    int hook_count;                   // instructions between hook calls
    int hooked;                       // the count hook is installed (see kl_keep_hook)
    int closing;                      // kl_close is running finalizers: host functions refuse
    void *host;                       // the Swift LuaVM (unretained)
} kl_state;

/// Creates a state with the limited allocator; `host` is stored for Swift. The count hook is
/// installed now when `hooked`, else when a limit, `kl_keep_hook` or an interrupt needs it.
lua_State *kl_newstate(void *host, int hooked);
/// Installs the count hook for good: coroutines created from now on inherit it, so an
/// interrupt reaches them too (the REPL wants that for Ctrl-C).
void kl_keep_hook(lua_State *L);
/// Closes the state. Finalizers that run now run under the memory limit still set (the
/// allocator refuses growth past it; Lua runs no hooks inside finalizers, so their deadline is
/// the watchdog's), and host functions called from them raise instead of running: after a run
/// is over no script code may spend anything the host would not log.
void kl_close(lua_State *L);
kl_state *_Nonnull kl_getstate(lua_State *_Nonnull L);
void kl_set_dispatcher(kl_dispatcher d);

/// Sets limits; 0 means none. `deadline_ns` is absolute CLOCK_MONOTONIC nanoseconds.
void kl_set_limits(lua_State *L, size_t memory, uint64_t instructions, uint64_t deadline_ns);
uint64_t kl_now_ns(void);

/// Pushes a C closure that calls host function `id` through the trampoline.
void kl_push_host_function(lua_State *L, lua_Integer id);

/// Protected call with a traceback message handler. Returns a LUA_* status.
int kl_pcall(lua_State *L, int nargs, int nresults);
/// Protected resume of `co` (a thread) from `from`; `*nres` receives the number of results.
int kl_resume(lua_State *co, lua_State *from, int nargs, int *nres);
/// Loads a text chunk (binary chunks only when `allow_binary`) under the memory limit, fed to
/// the parser in pieces so the deadline and Ctrl-C are checked while it compiles. Returns a
/// LUA_* status; a compile stopped by the deadline or an interrupt returns LUA_ERRRUN with the
/// limit recorded in `limit_hit` and its message on the stack.
int kl_load(lua_State *L, const char *buf, size_t len, const char *name, int allow_binary);
/// luaL_tolstring under protection (it may run __tostring / __name). Leaves one string on the
/// stack and returns 1, or leaves an error message and returns 0.
int kl_tostring(lua_State *L, int idx);
/// Pushes onto L a traceback of thread `co` (protected). Returns 1 on success.
int kl_traceback(lua_State *L, lua_State *co, int level);
/// Opens all standard libraries under protection (luaL_openlibs may raise on memory).
int kl_openlibs(lua_State *L);
/// Runs `luaopen_*` for one library and sets it as global `name` (protected).
int kl_requiref(lua_State *L, const char *name, lua_CFunction open);

/// Which sticky limit (instructions, deadline, interrupt; a `kl_limit`) the run has hit, as the
/// count hook would find at its next tick, recording it; KL_LIMIT_NONE while none. A chunk that
/// returned right after catching a limit error (`return pcall(f)`) ends before that tick.
int kl_limit_reached(lua_State *L);
/// Pushes the message of the limit the run has hit, the hook's own words ("time limit exceeded").
void kl_push_limit_message(lua_State *L);

/// Signal-safe request to stop running Lua code (Ctrl-C); seen by the count hook.
void kl_request_interrupt(lua_State *L);
void kl_clear_interrupt(lua_State *L);

/// The watchdog ends the process when Lua is stuck inside a C function past the deadline,
/// where no hook can run: it writes `message` (copied; `length` bytes) to `fd` and exits with
/// status 1. Starting it again or stopping it retires the previous one.
int kl_watchdog_start(uint64_t deadline_ns, int fd, const char *message, size_t length);
void kl_watchdog_stop(void);
/// What the watchdog calls, on its own thread, before it ends the process: the host's last
/// words, written to `fd`; it returns nonzero when it wrote them (else the prepared message is
/// written). NULL: only the prepared message.
void kl_watchdog_set_last_words(int (*words)(int fd));
/// Holds the watchdog while the VM waits for a person (an approval prompt), then lets it go on
/// with its deadline `held_ns` later.
void kl_watchdog_hold(void);
void kl_watchdog_release(uint64_t held_ns);

/// Moves the run's deadline (if it has one) `by_ns` later.
void kl_extend_deadline(lua_State *L, uint64_t by_ns);

/// `xpcall` whose message handler is skipped once a time, instruction or interrupt limit is hit
/// (Lua runs handlers of errors raised in hooks with hooks off, so they could loop forever).
int kl_guarded_xpcall(lua_State *L);

/// Sandbox's `setmetatable`: refuses metatables with `__gc`.
int kl_sandbox_setmetatable(lua_State *L);

// Macro wrappers: these are macros in lua.h, so Swift cannot see them.
static inline void kl_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline void kl_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
static inline int kl_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int kl_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline const char *kl_tolstring_raw(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline int kl_isinteger(lua_State *L, int i) { return lua_isinteger(L, i); }
static inline void kl_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
static inline int kl_yieldable(lua_State *L) { return lua_isyieldable(L); }
static inline lua_Integer kl_tointeger(lua_State *L, int i, int *isnum) { return lua_tointegerx(L, i, isnum); }
static inline lua_Number kl_tonumber(lua_State *L, int i, int *isnum) { return lua_tonumberx(L, i, isnum); }
static inline void *kl_newuserdata(lua_State *L, size_t size) { return lua_newuserdatauv(L, size, 1); }
static inline void kl_remove(lua_State *L, int i) { lua_rotate(L, i, -1); lua_settop(L, -2); }
static inline void kl_insert(lua_State *L, int i) { lua_rotate(L, i, 1); }
static inline void kl_replace(lua_State *L, int i) { lua_copy(L, -1, i); lua_settop(L, -2); }
static inline lua_State *kl_tothread(lua_State *L, int i) { return lua_tothread(L, i); }
static inline int kl_upvalue_index_registry_ok(void) { return 1; }

extern const char *const kl_lua_copyright;
extern const char *const kl_lua_release;

#endif
