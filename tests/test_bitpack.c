/*
 * Bit packing and varints, the codecs under postings and positions: every
 * width and length against a bit-by-bit reference, the full-block decoder
 * against the partial one, exact byte counts with guard bytes around every
 * buffer, and varints at their limits and on hostile (truncated, overlong)
 * input.
 */
#include "test.h"

#include "bitpack.h"
#include "bytes.h"

#define GUARD 16
#define GUARD_BYTE 0xA5

/* A value of at most w bits, biased towards the extremes now and then. */
static uint32_t random_value(uint32_t *seed, unsigned w)
{
    if (w == 0)
        return 0;
    uint32_t mask = w == 32 ? UINT32_MAX : (1u << w) - 1;
    switch (next_random(seed) % 8) {
    case 0:
        return 0;
    case 1:
        return mask;
    default:
        return next_random(seed) & mask;
    }
}

/* Value i of a packed run, read one bit at a time: the format's definition. */
static uint32_t reference_get(const unsigned char *in, size_t i, unsigned w)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < w; b++) {
        size_t bit = i * w + b;
        v |= (uint32_t)(in[bit / 8] >> (bit % 8) & 1) << b;
    }
    return v;
}

static void check_guard(const unsigned char *guard, const char *where, unsigned w, size_t n)
{
    for (size_t i = 0; i < GUARD; i++)
        if (guard[i] != GUARD_BYTE)
            fail_msg("%s guard overwritten: width %u, %zu values, byte %zu", where, w, n, i);
}

static void roundtrip(uint32_t *seed, unsigned w, size_t n)
{
    uint32_t values[BITPACK_BLOCK];
    for (size_t i = 0; i < n; i++)
        values[i] = random_value(seed, w);
    /* Make sure the width is really used when there is room for it. */
    if (n > 0 && w > 0)
        values[next_random(seed) % n] = w == 32 ? UINT32_MAX : (1u << w) - 1;

    size_t nbytes = bitpack_bytes(n, w);
    assert_int_equal(nbytes, (n * w + 7) / 8);
    if (n == BITPACK_BLOCK)
        assert_int_equal(nbytes, 16 * w);
    assert_int_equal(bitpack_width(values, n), n > 0 ? w : 0);

    unsigned char packed[GUARD + BITPACK_BLOCK * 4 + GUARD];
    memset(packed, GUARD_BYTE, sizeof packed);
    bitpack_encode(values, n, w, packed + GUARD);
    check_guard(packed, "encoder leading", w, n);
    check_guard(packed + GUARD + nbytes, "encoder trailing", w, n);
    for (size_t i = 0; i < n; i++)
        if (reference_get(packed + GUARD, i, w) != values[i])
            fail_msg("width %u, %zu values: value %zu packed as %u, expected %u", w, n, i,
                     reference_get(packed + GUARD, i, w), values[i]);
    /* Bits past the last value are zero, so the encoding is canonical. */
    if (n * w % 8 != 0)
        assert_int_equal(packed[GUARD + nbytes - 1] >> (n * w % 8), 0);

    /* The partial decoder reads exactly nbytes: copy them to a heap block of
     * that size so AddressSanitizer catches any over-read. */
    unsigned char *exact = malloc(nbytes ? nbytes : 1);
    assert_non_null(exact);
    memcpy(exact, packed + GUARD, nbytes);
    uint32_t out[GUARD + BITPACK_BLOCK + GUARD];
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        out[i] = 0xDEADBEEFu;
    bitpack_decode(exact, n, w, out + GUARD);
    for (size_t i = 0; i < GUARD; i++) {
        assert_int_equal(out[i], 0xDEADBEEFu);
        assert_int_equal(out[GUARD + n + i], 0xDEADBEEFu);
    }
    for (size_t i = 0; i < n; i++)
        if (out[GUARD + i] != values[i])
            fail_msg("width %u, %zu values: decoded value %zu is %u, expected %u", w, n, i,
                     out[GUARD + i], values[i]);
    free(exact);

    if (n == BITPACK_BLOCK) {
        /* The full-block decoder agrees with the partial one. */
        unsigned char *block = malloc(w > 0 ? 16 * (size_t)w : 1);
        assert_non_null(block);
        memcpy(block, packed + GUARD, 16 * w);
        uint32_t full[BITPACK_BLOCK];
        memset(full, 0xEE, sizeof full);
        bitpack_decode_block(block, w, full);
        assert_memory_equal(full, values, sizeof full);
        free(block);
    }
}

static void test_every_width_and_length(void **state)
{
    (void)state;
    uint32_t seed = 0x12345678u;
    for (unsigned w = 0; w <= 32; w++)
        for (size_t n = 0; n <= BITPACK_BLOCK; n++)
            for (int rep = 0; rep < 3; rep++)
                roundtrip(&seed, w, n);
}

static void test_edge_lengths_many_seeds(void **state)
{
    (void)state;
    static const size_t lengths[] = {0, 1, 2, 7, 8, 9, 63, 64, 65, 127, 128};
    for (uint32_t s = 1; s <= 40; s++) {
        uint32_t seed = s * 2654435761u;
        for (unsigned w = 0; w <= 32; w++)
            for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++)
                roundtrip(&seed, w, lengths[k]);
    }
}

static void test_width(void **state)
{
    (void)state;
    uint32_t v[4] = {0, 0, 0, 0};
    assert_int_equal(bitpack_width(v, 0), 0);
    assert_int_equal(bitpack_width(v, 4), 0);
    for (unsigned b = 0; b < 32; b++) {
        v[2] = 1u << b;
        assert_int_equal(bitpack_width(v, 4), b + 1);
        v[2] = (1u << b) | 1u;
        assert_int_equal(bitpack_width(v, 4), b + 1);
    }
    v[1] = UINT32_MAX;
    assert_int_equal(bitpack_width(v, 4), 32);
    /* Only the first n values count. */
    assert_int_equal(bitpack_width(v, 1), 0);
}

static void test_known_layout(void **state)
{
    (void)state;
    /* Width 3: 5, 2, 7 -> bits 101 010 111 (LSB first) -> 0b11010101, 0b1. */
    uint32_t v[3] = {5, 2, 7};
    unsigned char out[2] = {0xFF, 0xFF};
    bitpack_encode(v, 3, 3, out);
    assert_int_equal(out[0], 0xD5);
    assert_int_equal(out[1], 0x01);
    /* Width 32 is the values little-endian, one after another. */
    uint32_t w32[2] = {0x01020304u, 0xA0B0C0D0u};
    unsigned char b32[8];
    bitpack_encode(w32, 2, 32, b32);
    assert_int_equal(load_le32(b32), 0x01020304u);
    assert_int_equal(load_le32(b32 + 4), 0xA0B0C0D0u);
    /* Width 0 writes nothing and decodes zeros. */
    uint32_t zeros[BITPACK_BLOCK];
    const unsigned char nothing[1] = {0xFF};
    memset(zeros, 0x55, sizeof zeros);
    bitpack_decode_block(nothing, 0, zeros);
    for (size_t i = 0; i < BITPACK_BLOCK; i++)
        assert_int_equal(zeros[i], 0);
    memset(zeros, 0x55, sizeof zeros);
    bitpack_decode(nothing, 17, 0, zeros);
    for (size_t i = 0; i < 17; i++)
        assert_int_equal(zeros[i], 0);
    assert_int_equal(zeros[17], 0x55555555u);
}

/* ---- SIMD block decoder ---------------------------------------------------- */

/*
 * The AVX2 block decoder against the scalar one, bit for bit, at every
 * width: random values, all-ones, single set bits walking through every
 * position, from an exact-size heap block so AddressSanitizer sees any
 * over-read, into an output with guards on both sides.
 */
static void test_simd_decoder_matches_scalar(void **state)
{
    (void)state;
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("avx2")) {
        printf("[  SKIP    ] AVX2 block decoder: this CPU has no AVX2\n");
        return;
    }
    printf("bitpack_decode_impl_name: %s\n", bitpack_decode_impl_name());
    uint32_t seed = 0xC0FFEEu;
    for (unsigned w = 0; w <= 32; w++) {
        const uint32_t mask = w == 32 ? UINT32_MAX : (1u << w) - 1;
        for (int pattern = 0; pattern < 40; pattern++) {
            uint32_t values[BITPACK_BLOCK];
            for (size_t i = 0; i < BITPACK_BLOCK; i++) {
                if (pattern == 0)
                    values[i] = mask;
                else if (pattern == 1)
                    values[i] = i % 2 ? mask : 0;
                else if (pattern < 34)
                    values[i] = (uint32_t)((uint64_t)1 << ((pattern - 2 + i) % 32)) & mask;
                else
                    values[i] = random_value(&seed, w);
            }
            size_t nbytes = bitpack_bytes(BITPACK_BLOCK, w);
            unsigned char *packed = malloc(nbytes ? nbytes : 1);
            assert_non_null(packed);
            bitpack_encode(values, BITPACK_BLOCK, w, packed);
            uint32_t scalar[BITPACK_BLOCK], simd[GUARD + BITPACK_BLOCK + GUARD];
            for (size_t i = 0; i < sizeof simd / sizeof simd[0]; i++)
                simd[i] = 0xDEADBEEFu;
            bitpack_decode_block_scalar(packed, w, scalar);
            bitpack_decode_block_avx2(packed, w, simd + GUARD);
            for (size_t i = 0; i < GUARD; i++) {
                assert_int_equal(simd[i], 0xDEADBEEFu);
                assert_int_equal(simd[GUARD + BITPACK_BLOCK + i], 0xDEADBEEFu);
            }
            for (size_t i = 0; i < BITPACK_BLOCK; i++) {
                if (scalar[i] != values[i])
                    fail_msg("scalar width %u pattern %d: value %zu is %u, expected %u", w,
                             pattern, i, scalar[i], values[i]);
                if (simd[GUARD + i] != scalar[i])
                    fail_msg("avx2 width %u pattern %d: value %zu is %u, scalar says %u", w,
                             pattern, i, simd[GUARD + i], scalar[i]);
            }
            free(packed);
        }
    }
#else
    printf("[  SKIP    ] AVX2 block decoder: not an x86-64 build\n");
#endif
    assert_string_not_equal(bitpack_decode_impl_name(), "");
}

/* ---- Varints ------------------------------------------------------------ */

static void varint_roundtrip(uint64_t v)
{
    unsigned char buf[VARINT_MAX_BYTES + 4];
    memset(buf, 0xCC, sizeof buf);
    size_t n = varint_put(buf, v);
    assert_int_equal(n, varint_size(v));
    assert_true(n >= 1 && n <= VARINT_MAX_BYTES);
    assert_int_equal(buf[n], 0xCC);
    /* Size is the minimal LEB128 length. */
    size_t expect = 1;
    for (uint64_t x = v >> 7; x; x >>= 7)
        expect++;
    assert_int_equal(n, expect);
    for (size_t i = 0; i + 1 < n; i++)
        assert_true(buf[i] & 0x80);
    assert_false(buf[n - 1] & 0x80);

    const unsigned char *p = buf;
    uint64_t got = ~v;
    assert_int_equal(varint_get(&p, buf + n, &got), 1);
    assert_true(got == v);
    assert_ptr_equal(p, buf + n);

    /* Every truncation fails and leaves the cursor where it was. */
    for (size_t cut = 0; cut < n; cut++) {
        p = buf;
        got = 12345;
        assert_int_equal(varint_get(&p, buf + cut, &got), 0);
        assert_ptr_equal(p, buf);
        assert_true(got == 12345);
    }

    uint32_t got32 = 0;
    p = buf;
    if (v <= UINT32_MAX) {
        assert_int_equal(varint_get32(&p, buf + n, &got32), 1);
        assert_int_equal(got32, (uint32_t)v);
        assert_ptr_equal(p, buf + n);
    } else {
        assert_int_equal(varint_get32(&p, buf + n, &got32), 0);
    }
}

static void test_varint_roundtrip(void **state)
{
    (void)state;
    static const uint64_t fixed[] = {0, 1, 0x7F, 0x80, 0xFF, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000,
                                     UINT32_MAX - 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
                                     (uint64_t)1 << 56, ((uint64_t)1 << 63) - 1, (uint64_t)1 << 63,
                                     UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        varint_roundtrip(fixed[i]);
    for (unsigned b = 0; b < 64; b++) {
        varint_roundtrip((uint64_t)1 << b);
        varint_roundtrip(((uint64_t)1 << b) - 1);
    }
    uint32_t seed = 99;
    for (int i = 0; i < 20000; i++) {
        uint64_t v = (uint64_t)next_random(&seed) << 32 | next_random(&seed);
        varint_roundtrip(v >> (next_random(&seed) % 64));
    }
    unsigned char max[VARINT_MAX_BYTES];
    assert_int_equal(varint_put(max, UINT64_MAX), VARINT_MAX_BYTES);
    assert_int_equal(max[VARINT_MAX_BYTES - 1], 0x01);
}

static void test_varint_sequence(void **state)
{
    (void)state;
    /* Many values back to back decode in order and end exactly at the end. */
    uint32_t seed = 7;
    uint64_t values[500];
    unsigned char buf[500 * VARINT_MAX_BYTES];
    size_t len = 0;
    for (size_t i = 0; i < 500; i++) {
        values[i] = ((uint64_t)next_random(&seed) << 32 | next_random(&seed)) >> (next_random(&seed) % 64);
        len += varint_put(buf + len, values[i]);
    }
    const unsigned char *p = buf;
    for (size_t i = 0; i < 500; i++) {
        uint64_t v;
        assert_int_equal(varint_get(&p, buf + len, &v), 1);
        assert_true(v == values[i]);
    }
    assert_ptr_equal(p, buf + len);
    uint64_t v;
    assert_int_equal(varint_get(&p, buf + len, &v), 0);
}

static void test_varint_hostile(void **state)
{
    (void)state;
    const unsigned char *p;
    uint64_t v = 77;

    /* Empty input. */
    unsigned char one[1] = {0};
    p = one;
    assert_int_equal(varint_get(&p, one, &v), 0);
    assert_ptr_equal(p, one);

    /* Continuation bits to the end of the input. */
    unsigned char cont[VARINT_MAX_BYTES];
    memset(cont, 0xFF, sizeof cont);
    for (size_t n = 1; n <= sizeof cont; n++) {
        p = cont;
        assert_int_equal(varint_get(&p, cont + n, &v), 0);
        assert_ptr_equal(p, cont);
    }

    /* Ten bytes whose last carries bits beyond 64: rejected. */
    unsigned char over[VARINT_MAX_BYTES];
    memset(over, 0x80, sizeof over);
    for (unsigned last = 2; last < 0x80; last++) {
        over[VARINT_MAX_BYTES - 1] = (unsigned char)last;
        p = over;
        assert_int_equal(varint_get(&p, over + sizeof over, &v), 0);
        assert_ptr_equal(p, over);
    }
    /* ... while bit 63 alone is fine. */
    over[VARINT_MAX_BYTES - 1] = 0x01;
    p = over;
    assert_int_equal(varint_get(&p, over + sizeof over, &v), 1);
    assert_true(v == (uint64_t)1 << 63);

    /* Eleven bytes or more: longer than any 64-bit value, rejected even when
     * the extra bytes carry only zeros. */
    unsigned char eleven[VARINT_MAX_BYTES + 1];
    memset(eleven, 0x80, sizeof eleven);
    eleven[VARINT_MAX_BYTES] = 0x00;
    p = eleven;
    assert_int_equal(varint_get(&p, eleven + sizeof eleven, &v), 0);
    assert_ptr_equal(p, eleven);
    unsigned char longer[32];
    memset(longer, 0x80, sizeof longer);
    longer[31] = 0x01;
    p = longer;
    assert_int_equal(varint_get(&p, longer + sizeof longer, &v), 0);

    /* 32-bit reads refuse values that need more. */
    unsigned char big[VARINT_MAX_BYTES];
    size_t n = varint_put(big, (uint64_t)UINT32_MAX + 1);
    uint32_t v32 = 5;
    p = big;
    assert_int_equal(varint_get32(&p, big + n, &v32), 0);
    assert_int_equal(v32, 5);
    n = varint_put(big, UINT32_MAX);
    p = big;
    assert_int_equal(varint_get32(&p, big + n, &v32), 1);
    assert_int_equal(v32, UINT32_MAX);
}

static void test_fixed_width_integers(void **state)
{
    (void)state;
    unsigned char b[8];
    store_le16(b, 0xBEEF);
    assert_int_equal(b[0], 0xEF);
    assert_int_equal(b[1], 0xBE);
    assert_int_equal(load_le16(b), 0xBEEF);
    store_le32(b, 0x01020304u);
    assert_int_equal(b[0], 0x04);
    assert_int_equal(b[3], 0x01);
    assert_int_equal(load_le32(b), 0x01020304u);
    store_le64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 0x08);
    assert_int_equal(b[7], 0x01);
    assert_true(load_le64(b) == 0x0102030405060708ull);
    store_le64(b, UINT64_MAX);
    assert_true(load_le64(b) == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_width_and_length),
        cmocka_unit_test(test_edge_lengths_many_seeds),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_known_layout),
        cmocka_unit_test(test_simd_decoder_matches_scalar),
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_varint_sequence),
        cmocka_unit_test(test_varint_hostile),
        cmocka_unit_test(test_fixed_width_integers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
