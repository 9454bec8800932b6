#include "kbridge_zlib.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct kbridge_zlib_stream {
    z_stream z;
    int inflating;
    unsigned char *dictionary;
    size_t dictionary_length;
};

static kbridge_zlib_stream *make(const unsigned char *dictionary, size_t dictionary_length, int inflating) {
    kbridge_zlib_stream *stream = calloc(1, sizeof(*stream));
    if (stream == NULL) return NULL;
    stream->dictionary = malloc(dictionary_length);
    if (stream->dictionary == NULL) {
        free(stream);
        return NULL;
    }
    memcpy(stream->dictionary, dictionary, dictionary_length);
    stream->dictionary_length = dictionary_length;
    stream->inflating = inflating;
    int result = inflating ? inflateInit(&stream->z) : deflateInit(&stream->z, Z_DEFAULT_COMPRESSION);
    if (result == Z_OK && !inflating) {
        result = deflateSetDictionary(&stream->z, stream->dictionary, (uInt)dictionary_length);
    }
    if (result != Z_OK) {
        free(stream->dictionary);
        free(stream);
        return NULL;
    }
    return stream;
}

kbridge_zlib_stream *kbridge_zlib_inflater(const unsigned char *dictionary, size_t dictionary_length) {
    return make(dictionary, dictionary_length, 1);
}

kbridge_zlib_stream *kbridge_zlib_deflater(const unsigned char *dictionary, size_t dictionary_length) {
    return make(dictionary, dictionary_length, 0);
}

void kbridge_zlib_free(kbridge_zlib_stream *stream) {
    if (stream == NULL) return;
    if (stream->inflating) inflateEnd(&stream->z); else deflateEnd(&stream->z);
    free(stream->dictionary);
    free(stream);
}

long kbridge_zlib_inflate(kbridge_zlib_stream *stream, const unsigned char *input, size_t input_length, unsigned char *output, size_t output_capacity) {
    stream->z.next_in = (Bytef *)input;
    stream->z.avail_in = (uInt)input_length;
    stream->z.next_out = output;
    stream->z.avail_out = (uInt)output_capacity;
    while (stream->z.avail_in > 0) {
        int result = inflate(&stream->z, Z_SYNC_FLUSH);
        if (result == Z_NEED_DICT) {
            if (inflateSetDictionary(&stream->z, stream->dictionary, (uInt)stream->dictionary_length) != Z_OK) return -1;
            continue;
        }
        if (result == Z_BUF_ERROR && stream->z.avail_out == 0) return -2;
        if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR) return -1;
        if (result == Z_BUF_ERROR || result == Z_STREAM_END) break;
        if (stream->z.avail_out == 0 && stream->z.avail_in > 0) return -2;
    }
    return (long)(output_capacity - stream->z.avail_out);
}

long kbridge_zlib_deflate(kbridge_zlib_stream *stream, const unsigned char *input, size_t input_length, unsigned char *output, size_t output_capacity) {
    stream->z.next_in = (Bytef *)input;
    stream->z.avail_in = (uInt)input_length;
    stream->z.next_out = output;
    stream->z.avail_out = (uInt)output_capacity;
    int result = deflate(&stream->z, Z_SYNC_FLUSH);
    if (result != Z_OK && result != Z_BUF_ERROR) return -1;
    if (stream->z.avail_in > 0 || stream->z.avail_out == 0) return -2;
    return (long)(output_capacity - stream->z.avail_out);
}
