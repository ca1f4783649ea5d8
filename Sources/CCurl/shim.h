#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// libcurl for blocking requests made in place on a script's own thread (see
// Sources/Replicate/InPlaceTransport.swift for why). It is loaded on first use rather than
// linked: the loader would otherwise map it and the thirty libraries behind it (TLS, HTTP/2,
// IDN, Kerberos…) at every start of `kosmo-lua`, most of whose runs never call the API. Without
// libcurl every request takes the AsyncHTTPClient path. The header gives the types and option
// numbers only; every function is called through a pointer found with dlsym.

typedef struct {
    int loaded;
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    CURLcode (*easy_perform)(CURL *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    const char *(*easy_strerror)(CURLcode);
} kosmo_curl_t;

// A function-local static: Swift's importer emits inline functions, not header-level statics.
static inline kosmo_curl_t *kosmo_curl_state(void) {
    static kosmo_curl_t state;
    return &state;
}
#define kosmo_curl (*kosmo_curl_state())

/// Loads libcurl once; returns 1 when it and every function used here were found. Not
/// thread-safe: callers serialise the first call.
static inline int kosmo_curl_load(void) {
    if (kosmo_curl.loaded) return kosmo_curl.loaded > 0;
    kosmo_curl.loaded = -1;
    const char *names[] = {"libcurl.so.4", "libcurl.so", "libcurl.4.dylib", "libcurl.dylib"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && handle == NULL; i++) handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return 0;
    kosmo_curl_t c = {0};
    CURLcode (*global_init)(long) = (CURLcode (*)(long))dlsym(handle, "curl_global_init");
    c.easy_init = (CURL *(*)(void))dlsym(handle, "curl_easy_init");
    c.easy_cleanup = (void (*)(CURL *))dlsym(handle, "curl_easy_cleanup");
    c.easy_reset = (void (*)(CURL *))dlsym(handle, "curl_easy_reset");
    c.easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))dlsym(handle, "curl_easy_setopt");
    c.easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))dlsym(handle, "curl_easy_getinfo");
    c.easy_perform = (CURLcode (*)(CURL *))dlsym(handle, "curl_easy_perform");
    c.slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))dlsym(handle, "curl_slist_append");
    c.slist_free_all = (void (*)(struct curl_slist *))dlsym(handle, "curl_slist_free_all");
    c.easy_strerror = (const char *(*)(CURLcode))dlsym(handle, "curl_easy_strerror");
    if (!global_init || !c.easy_init || !c.easy_cleanup || !c.easy_reset || !c.easy_setopt || !c.easy_getinfo ||
        !c.easy_perform || !c.slist_append || !c.slist_free_all || !c.easy_strerror ||
        global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        dlclose(handle);
        return 0;
    }
    c.loaded = 1;
    kosmo_curl = c;
    return 1;
}

/// A growable byte buffer for a response's headers or body.
typedef struct {
    char *bytes;
    size_t length;
    size_t capacity;
    size_t limit;      // largest length accepted; a longer body ends the transfer
    int over_limit;
} kosmo_curl_buffer_t;

static inline int kosmo_curl_buffer_append(kosmo_curl_buffer_t *b, const char *data, size_t n) {
    if (b->length + n > b->limit) { b->over_limit = 1; return 0; }
    if (b->length + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity * 2 : 4096;
        while (capacity < b->length + n) capacity *= 2;
        char *grown = (char *)realloc(b->bytes, capacity);
        if (grown == NULL) return 0;
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, data, n);
    b->length += n;
    return 1;
}

static inline size_t kosmo_curl_on_body(char *data, size_t size, size_t count, void *user) {
    return kosmo_curl_buffer_append((kosmo_curl_buffer_t *)user, data, size * count) ? size * count : 0;
}

// curl hands over the header lines of every response it reads — redirects and interim 1xx
// ones too — each starting with its status line; only the last response's lines are kept.
static inline size_t kosmo_curl_on_header(char *data, size_t size, size_t count, void *user) {
    kosmo_curl_buffer_t *b = (kosmo_curl_buffer_t *)user;
    size_t n = size * count;
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) b->length = 0;
    return kosmo_curl_buffer_append(b, data, n) ? n : 0;
}

/// One request, as Swift describes it.
typedef struct {
    const char *method;
    const char *url;
    const char *const *headers;     // "Name: value" lines; "Name:" drops a header curl would add
    size_t header_count;
    const void *body;               // NULL: no body
    size_t body_length;
    long connect_timeout_ms;
    long timeout_ms;                // the whole exchange
    long idle_timeout_s;            // no byte received for this long ends it (0: none)
    size_t max_body;
    int (*should_stop)(void *);     // asked while the transfer waits; nonzero aborts it
    void *stop_context;
} kosmo_curl_request_t;

/// What came back: the status, the last response's header block and its body (both owned by
/// the caller, freed with `kosmo_curl_response_free`), or curl's error.
typedef struct {
    long status;
    kosmo_curl_buffer_t headers;
    kosmo_curl_buffer_t body;
    char error[CURL_ERROR_SIZE];
} kosmo_curl_response_t;

static inline void kosmo_curl_response_free(kosmo_curl_response_t *r) {
    free(r->headers.bytes);
    free(r->body.bytes);
    r->headers = (kosmo_curl_buffer_t){0};
    r->body = (kosmo_curl_buffer_t){0};
}

typedef struct {
    int (*should_stop)(void *);
    void *context;
} kosmo_curl_stop_t;

static inline int kosmo_curl_on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
    kosmo_curl_stop_t *stop = (kosmo_curl_stop_t *)user;
    return stop->should_stop != NULL && stop->should_stop(stop->context) ? 1 : 0;
}

static inline CURL *kosmo_curl_easy_init(void) { return kosmo_curl.loaded > 0 ? kosmo_curl.easy_init() : NULL; }
static inline void kosmo_curl_easy_cleanup(CURL *handle) { if (handle != NULL) kosmo_curl.easy_cleanup(handle); }
static inline const char *kosmo_curl_strerror(CURLcode code) { return kosmo_curl.easy_strerror(code); }

/// Performs one exchange on `handle` (its connections are reused from one call to the next).
/// Returns curl's result code; `response` is filled in either way.
static inline CURLcode kosmo_curl_perform(CURL *handle, const kosmo_curl_request_t *request, kosmo_curl_response_t *response) {
    kosmo_curl_t *c = &kosmo_curl;
    memset(response, 0, sizeof *response);
    response->headers.limit = 1 << 20;
    response->body.limit = request->max_body;
    // Each exchange starts from default options; reset keeps the handle's open connections,
    // DNS cache and TLS sessions.
    c->easy_reset(handle);
    c->easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(handle, CURLOPT_URL, request->url);
    // Same as the AsyncHTTPClient path: http(s) only, five redirects, no proxy from the
    // environment (AsyncHTTPClient does not read it either, so both paths reach the same host).
    c->easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    c->easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    c->easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    c->easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
    c->easy_setopt(handle, CURLOPT_PROXY, "");
    c->easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, request->connect_timeout_ms);
    c->easy_setopt(handle, CURLOPT_TIMEOUT_MS, request->timeout_ms);
    if (request->idle_timeout_s > 0) {
        c->easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
        c->easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, request->idle_timeout_s);
    }
    if (strcmp(request->method, "GET") == 0) {
        c->easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(request->method, "HEAD") == 0) {
        c->easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else {
        c->easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request->method);
    }
    if (request->body != NULL) {
        c->easy_setopt(handle, CURLOPT_POSTFIELDS, request->body);
        c->easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
    }
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < request->header_count; i++) headers = c->slist_append(headers, request->headers[i]);
    c->easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    c->easy_setopt(handle, CURLOPT_WRITEFUNCTION, kosmo_curl_on_body);
    c->easy_setopt(handle, CURLOPT_WRITEDATA, &response->body);
    c->easy_setopt(handle, CURLOPT_HEADERFUNCTION, kosmo_curl_on_header);
    c->easy_setopt(handle, CURLOPT_HEADERDATA, &response->headers);
    kosmo_curl_stop_t stop = {request->should_stop, request->stop_context};
    c->easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    c->easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, kosmo_curl_on_progress);
    c->easy_setopt(handle, CURLOPT_XFERINFODATA, &stop);
    c->easy_setopt(handle, CURLOPT_ERRORBUFFER, response->error);
    CURLcode result = c->easy_perform(handle);
    c->easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response->status);
    // The handle keeps pointers to these until the next reset; clear them now.
    c->easy_setopt(handle, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    c->easy_setopt(handle, CURLOPT_ERRORBUFFER, (char *)NULL);
    c->slist_free_all(headers);
    return result;
}
