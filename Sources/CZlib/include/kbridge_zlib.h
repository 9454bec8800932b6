#ifndef KBRIDGE_ZLIB_H
#define KBRIDGE_ZLIB_H

#include <stddef.h>

/// One direction of a zlib stream primed with a preset dictionary, as SPDY/3 compresses its
/// header blocks: every block of a connection continues the same stream.
typedef struct kbridge_zlib_stream kbridge_zlib_stream;

/// A stream that inflates; NULL when out of memory.
kbridge_zlib_stream *kbridge_zlib_inflater(const unsigned char *dictionary, size_t dictionary_length);
/// A stream that deflates; NULL when out of memory.
kbridge_zlib_stream *kbridge_zlib_deflater(const unsigned char *dictionary, size_t dictionary_length);
void kbridge_zlib_free(kbridge_zlib_stream *stream);

/// Inflates all of `input` into `output`, continuing the stream; returns the bytes written, or
/// -1 when the input is not valid (or needs another dictionary), -2 when `output` is too small.
long kbridge_zlib_inflate(kbridge_zlib_stream *stream, const unsigned char *input, size_t input_length, unsigned char *output, size_t output_capacity);
/// Deflates all of `input` and flushes (Z_SYNC_FLUSH) into `output`; returns the bytes written,
/// or -1 on failure, -2 when `output` is too small.
long kbridge_zlib_deflate(kbridge_zlib_stream *stream, const unsigned char *input, size_t input_length, unsigned char *output, size_t output_capacity);

#endif
