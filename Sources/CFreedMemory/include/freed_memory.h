#ifndef KBRIDGE_FREED_MEMORY_H
#define KBRIDGE_FREED_MEMORY_H

/// Returns the allocator's free pages to the system (glibc's malloc_trim, which Swift's Glibc
/// module does not expose). 1 when memory was given back, 0 when none was or where the call
/// does not exist.
int kbridge_give_back_freed_memory(void);

#endif
