#include "freed_memory.h"

#include <stdlib.h> /* defines __GLIBC__ where the C library is glibc */

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int kbridge_give_back_freed_memory(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
