#ifndef KOSMO_BUILD_INFO_H
#define KOSMO_BUILD_INFO_H

/// The commit kosmo-lua was built from (`git describe`-like: 12 hex digits, `-dirty` with
/// uncommitted changes), or "unknown" when the build did not record one (a plain `swift build`).
const char *kosmo_build_commit(void);

#endif
