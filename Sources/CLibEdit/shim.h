#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>

// libedit is loaded when the REPL starts rather than linked: as a linked library the loader
// mapped it (with libtinfo, libbsd and libmd behind it) at every start, about 0.3 ms of
// `kosmo-lua -e ''`, for scripts that never read a line. Swift calls the wrappers below; without
// libedit the REPL still works, reading plain lines.

typedef struct {
    int loaded;
    char *(*readline)(const char *);
    int (*add_history)(const char *);
    int (*read_history)(const char *);
    int (*write_history)(const char *);
    int (*history_truncate_file)(const char *, int);
    char **(*completion_matches)(const char *, rl_compentry_func_t *);
    int *completion_append_character;
    char **completer_word_break_characters;
    rl_completion_func_t **attempted_completion_function;
    int *attempted_completion_over;
} kosmo_editline_t;

// A function-local static: Swift's importer emits inline functions, not header-level statics.
static inline kosmo_editline_t *kosmo_editline_state(void) {
    static kosmo_editline_t state;
    return &state;
}
#define kosmo_editline (*kosmo_editline_state())

/// Loads libedit once; returns 1 when it and every symbol the REPL uses were found.
static inline int kosmo_editline_load(void) {
    if (kosmo_editline.loaded) return kosmo_editline.loaded > 0;
    kosmo_editline.loaded = -1;
    const char *names[] = {"libedit.so.2", "libedit.so", "libedit.3.dylib", "libedit.dylib"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && handle == NULL; i++) handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return 0;
    kosmo_editline_t e = {0};
    e.readline = (char *(*)(const char *))dlsym(handle, "readline");
    e.add_history = (int (*)(const char *))dlsym(handle, "add_history");
    e.read_history = (int (*)(const char *))dlsym(handle, "read_history");
    e.write_history = (int (*)(const char *))dlsym(handle, "write_history");
    e.history_truncate_file = (int (*)(const char *, int))dlsym(handle, "history_truncate_file");
    e.completion_matches = (char **(*)(const char *, rl_compentry_func_t *))dlsym(handle, "rl_completion_matches");
    e.completion_append_character = (int *)dlsym(handle, "rl_completion_append_character");
    e.completer_word_break_characters = (char **)dlsym(handle, "rl_completer_word_break_characters");
    e.attempted_completion_function = (rl_completion_func_t **)dlsym(handle, "rl_attempted_completion_function");
    e.attempted_completion_over = (int *)dlsym(handle, "rl_attempted_completion_over");
    if (!e.readline || !e.add_history || !e.read_history || !e.write_history || !e.history_truncate_file ||
        !e.completion_matches || !e.completion_append_character || !e.completer_word_break_characters ||
        !e.attempted_completion_function || !e.attempted_completion_over) {
        dlclose(handle);
        return 0;
    }
    e.loaded = 1;
    kosmo_editline = e;
    return 1;
}

/// A line without its newline (free it), or NULL at the end of input.
static inline char *kosmo_readline(const char *prompt) {
    if (kosmo_editline.loaded > 0) return kosmo_editline.readline(prompt);
    fputs(prompt, stdout);
    fflush(stdout);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t n = getline(&line, &capacity, stdin);
    if (n < 0) { free(line); return NULL; }
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = 0;
    return line;
}

static inline void kosmo_add_history(const char *line) { if (kosmo_editline.loaded > 0) kosmo_editline.add_history(line); }
static inline void kosmo_read_history(const char *path) { if (kosmo_editline.loaded > 0) kosmo_editline.read_history(path); }
static inline void kosmo_write_history(const char *path, int limit) {
    if (kosmo_editline.loaded <= 0) return;
    kosmo_editline.write_history(path);
    kosmo_editline.history_truncate_file(path, limit);
}

static inline char **kosmo_rl_completion_matches(const char *text, rl_compentry_func_t *generator) {
    return kosmo_editline.loaded > 0 ? kosmo_editline.completion_matches(text, generator) : NULL;
}

// libedit's settings are C globals; Swift 6 refuses to touch shared mutable globals directly,
// and the REPL sets them once on its own thread.
static inline void kosmo_rl_configure(rl_completion_func_t *complete, const char *word_breaks) {
    if (kosmo_editline.loaded <= 0) return;
    *kosmo_editline.completion_append_character = 0;
    *kosmo_editline.completer_word_break_characters = strdup(word_breaks);
    *kosmo_editline.attempted_completion_function = complete;
}

static inline void kosmo_rl_completion_over(void) {
    if (kosmo_editline.loaded > 0) *kosmo_editline.attempted_completion_over = 1;
}
