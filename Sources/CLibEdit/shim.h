#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <editline/readline.h>

// libedit's settings are C globals; Swift 6 refuses to touch shared mutable globals directly,
// and the REPL sets them once on its own thread.
static inline void kosmo_rl_configure(rl_completion_func_t *complete, const char *word_breaks) {
    rl_completion_append_character = 0;
    rl_completer_word_break_characters = strdup(word_breaks);
    rl_attempted_completion_function = complete;
}

static inline void kosmo_rl_completion_over(void) { rl_attempted_completion_over = 1; }
