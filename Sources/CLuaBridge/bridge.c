// The C half of the host. Swift never calls anything that can longjmp; every function here that
// may raise does so only after the Swift frame that asked for it has returned.
#include "CLuaBridge.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>

const char *const kl_lua_copyright = LUA_COPYRIGHT;
const char *const kl_lua_release = LUA_RELEASE;

static kl_dispatcher dispatcher = NULL;
void kl_set_dispatcher(kl_dispatcher d) { dispatcher = d; }

uint64_t kl_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

kl_state *kl_getstate(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (kl_state *)ud;
}

// The limited allocator. Growth past the limit fails only while Lua code runs (in_lua); while
// Swift pushes values it succeeds and sets `exceeded`, which C checks once Swift has returned.
static void *kl_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    kl_state *s = (kl_state *)ud;
    if (ptr == NULL) osize = 0;
    if (nsize == 0) {
        free(ptr);
        s->used -= osize;
        return NULL;
    }
    if (s->limit != 0 && nsize > osize && s->used + (nsize - osize) > s->limit) {
        if (s->in_lua) {
            s->limit_hit = KL_LIMIT_MEMORY;
            return NULL;
        }
        s->exceeded = 1;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    s->used = s->used - osize + nsize;
    if (s->used > s->peak) s->peak = s->used;
    return p;
}

// Which of the sticky limits (instructions, deadline, interrupt) the run has hit, recording it;
// KL_LIMIT_NONE while none. `counted` instructions ran since the last look.
static int kl_sticky_limit(kl_state *s, uint64_t counted) {
    int hit = s->limit_hit;
    if (hit == KL_LIMIT_INSTRUCTIONS || hit == KL_LIMIT_DEADLINE || hit == KL_LIMIT_INTERRUPT) return hit;
    s->instructions += counted;
    if (s->interrupt) hit = KL_LIMIT_INTERRUPT;
    else if (s->instruction_limit != 0 && s->instructions > s->instruction_limit) hit = KL_LIMIT_INSTRUCTIONS;
    else if (s->deadline_ns != 0 && kl_now_ns() >= s->deadline_ns) hit = KL_LIMIT_DEADLINE;
    else return KL_LIMIT_NONE;
    s->limit_hit = hit;
    return hit;
}

int kl_limit_reached(lua_State *L) { return kl_sticky_limit(kl_getstate(L), 0); }

// The message of the sticky limit `hit`, as the hook raises it and a run that caught it reports it.
static void kl_push_limit_text(lua_State *L, kl_state *s, int hit) {
    switch (hit) {
    case KL_LIMIT_INTERRUPT: lua_pushliteral(L, "interrupted!"); break;
    case KL_LIMIT_INSTRUCTIONS: lua_pushfstring(L, "instruction limit exceeded (%I instructions)", (lua_Integer)s->instruction_limit); break;
    default: lua_pushliteral(L, "time limit exceeded"); break;
    }
}

void kl_push_limit_message(lua_State *L) { kl_state *s = kl_getstate(L); kl_push_limit_text(L, s, s->limit_hit); }

// The count hook. Limits are sticky: once hit, every later hook call raises again (and the
// thread's count drops to 1), so `pcall`, `xpcall` handlers and `__close` cannot swallow them.
static void kl_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    kl_state *s = kl_getstate(L);
    int hit = kl_sticky_limit(s, (uint64_t)s->hook_count);
    if (hit == KL_LIMIT_NONE) return;
    lua_sethook(L, kl_hook, LUA_MASKCOUNT, 1);
    // Level 0 is the function that was running: name where the limit stopped it.
    luaL_where(L, 0);
    kl_push_limit_text(L, s, hit);
    lua_concat(L, 2);
    lua_error(L);
}

// Warnings as lauxlib's luaL_newstate sets them up (those functions are static there):
// off until "@on", messages to stderr as "Lua warning: ...".
static void kl_warnf_off(void *ud, const char *message, int tocont);
static void kl_warnf_on(void *ud, const char *message, int tocont);
static void kl_warnf_cont(void *ud, const char *message, int tocont);

static int kl_warn_control(lua_State *L, const char *message, int tocont) {
    if (tocont || *(message++) != '@') return 0;
    if (strcmp(message, "off") == 0) lua_setwarnf(L, kl_warnf_off, L);
    else if (strcmp(message, "on") == 0) lua_setwarnf(L, kl_warnf_on, L);
    return 1;
}

static void kl_warnf_off(void *ud, const char *message, int tocont) {
    kl_warn_control((lua_State *)ud, message, tocont);
}

static void kl_warnf_cont(void *ud, const char *message, int tocont) {
    lua_State *L = (lua_State *)ud;
    fputs(message, stderr);
    fflush(stderr);
    if (tocont) lua_setwarnf(L, kl_warnf_cont, L);
    else { fputs("\n", stderr); fflush(stderr); lua_setwarnf(L, kl_warnf_on, L); }
}

static void kl_warnf_on(void *ud, const char *message, int tocont) {
    if (kl_warn_control((lua_State *)ud, message, tocont)) return;
    fputs("Lua warning: ", stderr);
    fflush(stderr);
    kl_warnf_cont(ud, message, tocont);
}

static int kl_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "kosmo-lua: PANIC: unprotected error in call to Lua API (%s)\n", msg ? msg : "?");
    fflush(stderr);
    return 0;
}

// Whether the count hook is installed. It costs every instruction (with any hook set, Lua 5.4
// traps each one), so a state starts without it and gets it when something needs it: an
// instruction or time limit, `kl_keep_hook`, or an interrupt. Once installed it stays, so
// coroutines created later inherit it (lua_newthread copies the creating thread's hook).
static void kl_install_hook(lua_State *L, kl_state *s) {
    s->hooked = 1;
    lua_sethook(L, kl_hook, LUA_MASKCOUNT, s->hook_count);
}

lua_State *kl_newstate(void *host, int hooked) {
    kl_state *s = calloc(1, sizeof(kl_state));
    if (s == NULL) return NULL;
    s->host = host;
    s->hook_count = 1000;
    lua_State *L = lua_newstate(kl_alloc, s);
    if (L == NULL) { free(s); return NULL; }
    if (hooked) kl_install_hook(L, s);
    lua_atpanic(L, kl_panic);
    lua_setwarnf(L, kl_warnf_off, L);
    return L;
}

void kl_close(lua_State *L) {
    kl_state *s = kl_getstate(L);
    // Finalizers are Lua code: they run as Lua code runs, with growth past the memory limit
    // refused. Lua runs no hooks inside a finalizer, so the deadline is the watchdog's, which
    // the host arms for the close (LuaVM.close).
    s->closing = 1;
    s->in_lua = 1;
    lua_close(L);
    free(s);
}

void kl_extend_deadline(lua_State *L, uint64_t by_ns) {
    kl_state *s = kl_getstate(L);
    if (s->deadline_ns != 0) s->deadline_ns += by_ns;
}

void kl_set_limits(lua_State *L, size_t memory, uint64_t instructions, uint64_t deadline_ns) {
    kl_state *s = kl_getstate(L);
    s->limit = memory;
    s->instruction_limit = instructions;
    s->instructions = 0;
    s->deadline_ns = deadline_ns;
    if (s->limit_hit != KL_LIMIT_INTERRUPT) s->limit_hit = KL_LIMIT_NONE;
    // Resets the count after a sticky limit dropped it to 1, or installs the hook the first
    // time a limit needs it.
    if (s->hooked || instructions != 0 || deadline_ns != 0) kl_install_hook(L, s);
}

void kl_keep_hook(lua_State *L) { kl_install_hook(L, kl_getstate(L)); }

// From a signal handler: lua.c's own way to stop a state that runs without a hook (setting a
// hook is the one Lua API call meant for that). Without `hooked` only `L`'s thread gets it, so
// Lua code running in a coroutine stops once it is back in the main thread — as in lua5.4.
void kl_request_interrupt(lua_State *L) {
    kl_state *s = kl_getstate(L);
    s->interrupt = 1;
    if (!s->hooked) lua_sethook(L, kl_hook, LUA_MASKCOUNT, 1);
}

void kl_clear_interrupt(lua_State *L) {
    kl_state *s = kl_getstate(L);
    s->interrupt = 0;
    if (s->limit_hit == KL_LIMIT_INTERRUPT) s->limit_hit = KL_LIMIT_NONE;
    if (s->hooked) lua_sethook(L, kl_hook, LUA_MASKCOUNT, s->hook_count);
    else lua_sethook(L, NULL, 0, 0);
}

// Raised when Swift went past the memory limit while it worked for Lua (pushing values,
// encoding JSON). Called from Lua code (in_lua), it asks for more than the limit allows, so
// Lua raises its own memory error (LUA_ERRMEM, "not enough memory"), which a script reports
// as the limit it is; a host function re-entered from Swift (a finalizer run by an
// allocation there) cannot make the allocator fail, so it raises the same text as a plain error.
static int kl_raise_memory(lua_State *L, kl_state *s) {
    s->exceeded = 0;
    s->limit_hit = KL_LIMIT_MEMORY;
    lua_settop(L, 0);
    if (s->in_lua && s->limit != 0) lua_newuserdatauv(L, s->limit + 1, 0);
    lua_pushliteral(L, "not enough memory");
    return lua_error(L);
}


static int kl_continue(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    kl_state *s = kl_getstate(L);
    if (s->exceeded) return kl_raise_memory(L, s);
    int base = (int)ctx;
    int n = lua_gettop(L) - base;
    if (n < 1) return luaL_error(L, "host task resumed without a status");
    if (!lua_toboolean(L, base + 1)) {
        lua_settop(L, base + 2);
        return lua_error(L);
    }
    lua_rotate(L, base + 1, -1);
    lua_settop(L, -2);
    return n - 1;
}

static int kl_trampoline(lua_State *L) {
    kl_state *s = kl_getstate(L);
    lua_Integer id = lua_tointeger(L, lua_upvalueindex(1));
    if (dispatcher == NULL) return luaL_error(L, "host functions are not available");
    if (s->closing) return luaL_error(L, "the run is over: host functions cannot be called from a finalizer while the state closes");
    int saved = s->in_lua;
    s->in_lua = 0;
    int n = dispatcher(L, id);
    s->in_lua = saved;
    if (s->exceeded) return kl_raise_memory(L, s);
    if (n == KL_HOST_ERROR) return lua_error(L);
    if (n == KL_HOST_YIELD) return lua_yieldk(L, 0, (lua_KContext)lua_gettop(L), kl_continue);
    return n;
}

void kl_push_host_function(lua_State *L, lua_Integer id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, kl_trampoline, 1);
}

// Message handler: keeps the error value as it is (tables stay tables) and records a traceback
// in the registry for the host to read.
static int kl_msgh(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    (void)msg;
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "kosmo.traceback");
    lua_settop(L, 1);
    return 1;
}

int kl_pcall(lua_State *L, int nargs, int nresults) {
    kl_state *s = kl_getstate(L);
    int base = lua_gettop(L) - nargs;
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "kosmo.traceback");
    lua_pushcclosure(L, kl_msgh, 0);
    lua_rotate(L, base, 1);
    int saved = s->in_lua;
    s->in_lua = 1;
    int status = lua_pcall(L, nargs, nresults, base);
    s->in_lua = saved;
    lua_rotate(L, base, -1);
    lua_settop(L, -2);
    return status;
}

int kl_resume(lua_State *co, lua_State *from, int nargs, int *nres) {
    kl_state *s = kl_getstate(co);
    int saved = s->in_lua;
    s->in_lua = 1;
    int status = lua_resume(co, from, nargs, nres);
    s->in_lua = saved;
    return status;
}

// The parser runs no hooks, so a chunk is handed to it in pieces and the deadline and Ctrl-C
// are checked between them; a piece takes the parser well under a millisecond.
enum { KL_LOAD_PIECE = 64 * 1024 };

typedef struct {
    const char *next;
    size_t left;
    kl_state *s;
    int stopped;   // kl_limit that ended the compile, or KL_LIMIT_NONE
} kl_load_reader;

static const char *kl_load_read(lua_State *L, void *ud, size_t *size) {
    (void)L;
    kl_load_reader *r = (kl_load_reader *)ud;
    *size = 0;
    if (r->left == 0) return NULL;
    if (r->s->interrupt) r->stopped = KL_LIMIT_INTERRUPT;
    else if (r->s->deadline_ns != 0 && kl_now_ns() >= r->s->deadline_ns) r->stopped = KL_LIMIT_DEADLINE;
    if (r->stopped != KL_LIMIT_NONE) return NULL;
    size_t n = r->left < KL_LOAD_PIECE ? r->left : KL_LOAD_PIECE;
    const char *piece = r->next;
    r->next += n;
    r->left -= n;
    *size = n;
    return piece;
}

int kl_load(lua_State *L, const char *buf, size_t len, const char *name, int allow_binary) {
    kl_state *s = kl_getstate(L);
    kl_load_reader reader = { buf, len, s, KL_LIMIT_NONE };
    int saved = s->in_lua;
    s->in_lua = 1;
    int status = lua_load(L, kl_load_read, &reader, name, allow_binary ? "bt" : "t");
    s->in_lua = saved;
    if (reader.stopped != KL_LIMIT_NONE) {
        // What compiled so far is a prefix of the chunk, never to be run; the error says why.
        lua_settop(L, -2);
        s->limit_hit = reader.stopped;
        if (reader.stopped == KL_LIMIT_INTERRUPT) lua_pushliteral(L, "interrupted!");
        else lua_pushliteral(L, "time limit exceeded while compiling the chunk");
        return LUA_ERRRUN;
    }
    return status;
}

static int kl_tostring_body(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int kl_tostring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    kl_state *s = kl_getstate(L);
    lua_pushcclosure(L, kl_tostring_body, 0);
    lua_pushvalue(L, idx);
    int saved = s->in_lua;
    s->in_lua = 1;
    int status = lua_pcall(L, 1, 1, 0);
    s->in_lua = saved;
    if (status == LUA_OK && lua_type(L, -1) == LUA_TSTRING) return 1;
    return 0;
}

static int kl_traceback_body(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    const char *msg = lua_tostring(L, 2);
    luaL_traceback(L, co, msg, (int)lua_tointeger(L, 3));
    return 1;
}

int kl_traceback(lua_State *L, lua_State *co, int level) {
    kl_state *s = kl_getstate(L);
    lua_pushcclosure(L, kl_traceback_body, 0);
    lua_pushthread(co);
    if (co != L) lua_xmove(co, L, 1);
    lua_pushnil(L);
    lua_pushinteger(L, level);
    int saved = s->in_lua;
    s->in_lua = 1;
    int status = lua_pcall(L, 3, 1, 0);
    s->in_lua = saved;
    return status == LUA_OK;
}

static int kl_openlibs_body(lua_State *L) {
    luaL_openlibs(L);
    return 0;
}

int kl_openlibs(lua_State *L) {
    lua_pushcclosure(L, kl_openlibs_body, 0);
    return lua_pcall(L, 0, 0, 0);
}

static int kl_requiref_body(lua_State *L) {
    const char *name = lua_tostring(L, 1);
    lua_CFunction open = lua_tocfunction(L, 2);
    luaL_requiref(L, name, open, 1);
    return 0;
}

int kl_requiref(lua_State *L, const char *name, lua_CFunction open) {
    lua_pushcclosure(L, kl_requiref_body, 0);
    lua_pushstring(L, name);
    lua_pushcclosure(L, open, 0);
    return lua_pcall(L, 2, 0, 0);
}

int kl_sandbox_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed in the sandbox");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

// ---- watchdog ----

static pthread_mutex_t wd_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static int wd_cond_ready = 0;
static int wd_active = 0;
static uint64_t wd_generation = 0;
static int wd_held = 0;          // kl_watchdog_hold: waiting for a person, never fire
static int (*wd_last_words)(int fd) = NULL; // kl_watchdog_set_last_words
static uint64_t wd_shift_ns = 0; // time held so far in this generation

typedef struct {
    uint64_t deadline_ns;
    uint64_t generation;
    int fd;
    size_t length;
    char message[];   // the watchdog's own copy, freed with the struct
} wd_args;

static void wd_write(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static void *wd_main(void *p) {
    wd_args *a = (wd_args *)p;
    pthread_mutex_lock(&wd_mutex);
    for (;;) {
        if (!wd_active || wd_generation != a->generation) break;
        uint64_t now = kl_now_ns();
        uint64_t deadline = a->deadline_ns + wd_shift_ns;
        if (!wd_held && now >= deadline) {
            int (*words)(int) = wd_last_words;
            pthread_mutex_unlock(&wd_mutex);
            // The host's last words (settling what the run started) replace the prepared
            // message when they write one.
            if (words == NULL || !words(a->fd)) wd_write(a->fd, a->message, a->length);
            _exit(1);
        }
        // While held, sleep until released (kl_watchdog_release broadcasts).
        if (wd_held) deadline = now + 3600ull * 1000000000ull;
        struct timespec ts;
        ts.tv_sec = (time_t)(deadline / 1000000000ull);
        ts.tv_nsec = (long)(deadline % 1000000000ull);
        pthread_cond_timedwait(&wd_cond, &wd_mutex, &ts);
    }
    pthread_mutex_unlock(&wd_mutex);
    free(a);
    return NULL;
}

int kl_watchdog_start(uint64_t deadline_ns, int fd, const char *message, size_t length) {
    pthread_mutex_lock(&wd_mutex);
    if (!wd_cond_ready) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&wd_cond, &attr);
        pthread_condattr_destroy(&attr);
        wd_cond_ready = 1;
    }
    wd_generation++;
    wd_active = 1;
    wd_held = 0;
    wd_shift_ns = 0;
    pthread_cond_broadcast(&wd_cond);
    wd_args *a = malloc(sizeof(wd_args) + length);
    if (a == NULL) { pthread_mutex_unlock(&wd_mutex); return ENOMEM; }
    a->deadline_ns = deadline_ns;
    a->generation = wd_generation;
    a->fd = fd;
    a->length = length;
    if (length > 0) memcpy(a->message, message, length);
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, wd_main, a);
    if (rc == 0) pthread_detach(thread); else free(a);
    pthread_mutex_unlock(&wd_mutex);
    return rc;
}

void kl_watchdog_set_last_words(int (*words)(int fd)) {
    pthread_mutex_lock(&wd_mutex);
    wd_last_words = words;
    pthread_mutex_unlock(&wd_mutex);
}

void kl_watchdog_hold(void) {
    pthread_mutex_lock(&wd_mutex);
    wd_held = 1;
    pthread_mutex_unlock(&wd_mutex);
}

void kl_watchdog_release(uint64_t held_ns) {
    pthread_mutex_lock(&wd_mutex);
    wd_held = 0;
    wd_shift_ns += held_ns;
    if (wd_cond_ready) pthread_cond_broadcast(&wd_cond);
    pthread_mutex_unlock(&wd_mutex);
}

void kl_watchdog_stop(void) {
    pthread_mutex_lock(&wd_mutex);
    wd_active = 0;
    wd_generation++;
    if (wd_cond_ready) pthread_cond_broadcast(&wd_cond);
    pthread_mutex_unlock(&wd_mutex);
}

// ---- xpcall whose message handler cannot outlive a limit ----
// Lua calls a message handler for an error raised inside a hook with hooks still disabled, so
// a looping handler after a limit error would never be stopped. The guard skips the user's
// handler once a sticky limit is hit and leaves the error value as it is.

static int kl_limit_is_sticky(kl_state *s) {
    return s->limit_hit == KL_LIMIT_INSTRUCTIONS || s->limit_hit == KL_LIMIT_DEADLINE || s->limit_hit == KL_LIMIT_INTERRUPT;
}

static int kl_guarded_handler(lua_State *L) {
    if (kl_limit_is_sticky(kl_getstate(L))) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int kl_finish_xpcall(lua_State *L, int status, lua_KContext extra) {
    if (status != LUA_OK && status != LUA_YIELD) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

int kl_guarded_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, kl_guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, kl_finish_xpcall);
    return kl_finish_xpcall(L, status, 2);
}
