/* arena.h - one region per decoded profile: many small allocations, freed at once.
 * The arena counts every byte it hands out against a limit, so a hostile input
 * fails with HW_TOOBIG in bounded memory instead of exhausting the machine. */
#ifndef HW_ARENA_H
#define HW_ARENA_H

#include <stddef.h>

#include "hw_err.h"

struct arena; /* opaque */

/* A new arena that refuses to hand out more than limit bytes in all (0: no limit).
 * NULL when even the arena itself cannot be allocated. */
struct arena *arena_new(size_t limit);

/* Releases everything allocated from a. arena_free(NULL) is a no-op. */
void arena_free(struct arena *a);

/* Empties a for reuse with a new limit (0: none): everything allocated goes, but its
 * largest chunk is kept, so an arena reset between rounds of similar work stops
 * asking the system for memory (and having it zeroed) after the first round. */
void arena_reset(struct arena *a, size_t limit);

/* n bytes aligned for any type, or NULL once the limit is reached or memory runs out;
 * arena_error() then tells which. The memory is not zeroed. */
void *arena_alloc(struct arena *a, size_t n);

/* Zeroed storage for n elements of size bytes, NULL on overflow, limit or no memory. */
void *arena_calloc(struct arena *a, size_t n, size_t size);

/* Grows the allocation p (of old bytes) to n bytes, in place when p is the latest
 * allocation, otherwise by copying. p may be NULL. The old storage is not reused. */
void *arena_realloc(struct arena *a, void *p, size_t old, size_t n);

/* Gives back p if it was a large allocation (one with a chunk of its own); other
 * pointers are left alone, as they share chunks. For libraries that free their
 * scratch memory (protobuf-c's unpack slabs). */
void arena_release(struct arena *a, void *p);

/* Takes over everything allocated from `from` (which is freed; its pointers stay
 * valid until arena_free(a)): work done in an arena of its own, on another thread,
 * joins the result. HW_TOOBIG when the two together are past a's limit (the memory is
 * taken all the same, and a's later allocations fail). */
enum hw_err arena_adopt(struct arena *a, struct arena *from);

/* A NUL-terminated copy of the n bytes at s. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

/* Zeroed storage outside any arena for big tables, freed with arena_pages_free and the
 * same n. From 2 MiB up it is mapped on its own, aligned and advised for transparent
 * huge pages: tables and stacks walked at random then cost far fewer TLB misses (on a
 * virtual machine, a fifth of decoding a large profile). NULL when out of memory. */
void *arena_pages(size_t n);
void arena_pages_free(void *p, size_t n);

/* HW_TOOBIG if an allocation failed on the limit, HW_NOMEM if malloc failed, else HW_OK. */
enum hw_err arena_error(const struct arena *a);

/* Bytes handed out so far, and the limit (0: none). */
size_t arena_used(const struct arena *a);
size_t arena_limit(const struct arena *a);

#endif
