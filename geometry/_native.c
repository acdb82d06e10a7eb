/* The mesh passes that dominate measuring a large STL, compiled: the facets' own figures
 * (area, extent, volume), the weld, the edges and the components.
 *
 * `geometry.native` is the only caller; it hands in numpy arrays (C-contiguous, of the types
 * named below) and gets plain integers and bytearrays back, so this file needs no numpy
 * headers. Each function releases the GIL while it works, so the thread that computes
 * volumes and areas, or casts the thin-wall rays, runs beside it. The numpy versions in
 * `measure.py`, `weld.py` and `topology.py` are the reference: same results, up to the order
 * of vertices and of pairs (and rounding: the numpy facet figures are formed in float32).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------ helpers */

static int get_buffer(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t itemsize,
                      Py_ssize_t items, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    if (view->len != itemsize * items) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes, got %zd", what, itemsize * items,
                     view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int32_t *new_int32_array(PyObject **owner, Py_ssize_t items) {
    *owner = PyByteArray_FromStringAndSize(NULL, items * (Py_ssize_t)sizeof(int32_t));
    return *owner == NULL ? NULL : (int32_t *)PyByteArray_AS_STRING(*owner);
}

static int shrink(PyObject *array, Py_ssize_t items) {
    return PyByteArray_Resize(array, items * (Py_ssize_t)sizeof(int32_t));
}

static inline uint64_t mix64(uint64_t x) { /* splitmix64's finaliser: every bit reaches every bit */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}

/* ---------------------------------------------------------------------------------- soup */

/* soup(triangles, double, centre, areas, sizes, volumes[, total]) -> six times the signed volume
 *
 * triangles: (n, 3, 3) float32 (double=0) or float64; centre: 3 float64. Writes each facet's
 * area (float64), largest axis-aligned extent (float32) and six times its signed tetrahedron
 * volume about `centre` (float32), all worked out in double precision. `total` (default 0)
 * is what the sum starts from: a soup handed over in slices, each slice's call given the
 * previous one's answer, sums exactly as the whole soup in one call would.
 */
#define DEFINE_SOUP(NAME, REAL)                                                                  \
    static double NAME(const REAL *t, Py_ssize_t n, const double *centre, double *areas,        \
                       float *sizes, float *volumes, double total) {                             \
        for (Py_ssize_t f = 0; f < n; f++, t += 9) {                                             \
            double size = 0.0;                                                                   \
            for (int k = 0; k < 3; k++) {                                                        \
                double lo = t[k], hi = t[k];                                                     \
                lo = t[3 + k] < lo ? t[3 + k] : lo;                                              \
                hi = t[3 + k] > hi ? t[3 + k] : hi;                                              \
                lo = t[6 + k] < lo ? t[6 + k] : lo;                                              \
                hi = t[6 + k] > hi ? t[6 + k] : hi;                                              \
                size = hi - lo > size ? hi - lo : size;                                          \
            }                                                                                    \
            double ax = t[3] - t[0], ay = t[4] - t[1], az = t[5] - t[2];                         \
            double bx = t[6] - t[0], by = t[7] - t[1], bz = t[8] - t[2];                         \
            double cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;       \
            double volume = (t[0] - centre[0]) * cx + (t[1] - centre[1]) * cy +                  \
                            (t[2] - centre[2]) * cz;                                             \
            areas[f] = 0.5 * sqrt(cx * cx + cy * cy + cz * cz);                                  \
            sizes[f] = (float)size;                                                              \
            volumes[f] = (float)volume;                                                          \
            total += volume;                                                                     \
        }                                                                                        \
        return total;                                                                            \
    }

DEFINE_SOUP(soup_f32, float)
DEFINE_SOUP(soup_f64, double)

static PyObject *native_soup(PyObject *self, PyObject *args) {
    PyObject *tri_obj, *centre_obj, *areas_obj, *sizes_obj, *volumes_obj;
    int is_double;
    double start = 0.0;
    if (!PyArg_ParseTuple(args, "OpOOOO|d", &tri_obj, &is_double, &centre_obj, &areas_obj, &sizes_obj,
                          &volumes_obj, &start))
        return NULL;
    Py_ssize_t word = is_double ? 8 : 4;
    Py_buffer tv, cv, av, sv, vv;
    if (PyObject_GetBuffer(tri_obj, &tv, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t n = tv.len / (9 * word);
    PyObject *result = NULL;
    int got = 0;
    if (tv.len != n * 9 * word) {
        PyErr_Format(PyExc_ValueError, "triangles: not (n, 3, 3) of %zd-byte floats", word);
        goto done;
    }
    if (get_buffer(centre_obj, &cv, 0, 8, 3, "centre") < 0)
        goto done;
    got = 1;
    if (get_buffer(areas_obj, &av, 1, 8, n, "areas") < 0)
        goto done;
    got = 2;
    if (get_buffer(sizes_obj, &sv, 1, 4, n, "sizes") < 0)
        goto done;
    got = 3;
    if (get_buffer(volumes_obj, &vv, 1, 4, n, "volumes") < 0)
        goto done;
    got = 4;
    double total;
    Py_BEGIN_ALLOW_THREADS
    total = is_double ? soup_f64(tv.buf, n, cv.buf, av.buf, sv.buf, vv.buf, start)
                      : soup_f32(tv.buf, n, cv.buf, av.buf, sv.buf, vv.buf, start);
    Py_END_ALLOW_THREADS
    result = PyFloat_FromDouble(total);
done:
    if (got >= 4)
        PyBuffer_Release(&vv);
    if (got >= 3)
        PyBuffer_Release(&sv);
    if (got >= 2)
        PyBuffer_Release(&av);
    if (got >= 1)
        PyBuffer_Release(&cv);
    PyBuffer_Release(&tv);
    return result;
}

/* ---------------------------------------------------------------------------------- weld */

/* weld(points, double, inverse) -> (V, unique)
 *
 * points: (N, 3) float32 (double=0) or float64 (double=1), read as bit patterns with -0.0
 * taken as 0.0. inverse: int32 (N,) written with each point's vertex number (in the order the
 * points first appear). unique: a bytearray of the V distinct points, same type. Open
 * addressing with linear probing; each slot holds its point's bits and number, so a lookup
 * reads one cache line, asked for a block of points ahead; the distinct points are read off
 * the table at the end. Two points are one only when all their bits agree. The table starts
 * at N / 4 slots rounded up to a power of two (1.5 to 3 times the vertices of a closed mesh,
 * N / 6: a smaller table is as quick, it stays in the caches better), at most 4 M slots, and
 * grows past 70 % full.
 *
 * weld_open(N, double) -> table; weld_feed(table, points, inverse) -> V so far;
 * weld_close(table) -> (V, unique): the same weld over points handed in slices (N: all the
 * points to come, for the table's size), so that a file can be welded as it is read, without
 * its whole triangle soup in memory. Slices welded in order give exactly what one call gives.
 */
#define BLOCK 64 /* points hashed, and their slots asked for, ahead of the lookups */

/* One weld per word size: NAME##_init sizes the table for n points, NAME##_feed welds a slice
 * (-1: out of memory), NAME##_unique writes the distinct points in order, NAME##_free frees. */
#define DEFINE_WELD(NAME, WORD, HASH)                                                            \
    typedef struct {                                                                             \
        WORD bits[3];                                                                            \
        int32_t id; /* 0: empty; vertex numbers from 1 */                                        \
    } NAME##_slot;                                                                               \
                                                                                                 \
    typedef struct {                                                                             \
        NAME##_slot *slot;                                                                       \
        uint64_t capacity;                                                                       \
        Py_ssize_t count;                                                                        \
    } NAME##_table;                                                                              \
                                                                                                 \
    static int NAME##_grow(NAME##_table *table) {                                                \
        uint64_t capacity = 2 * table->capacity, mask = capacity - 1;                            \
        NAME##_slot *bigger = calloc(capacity, sizeof *bigger);                                 \
        if (bigger == NULL)                                                                      \
            return -1;                                                                           \
        for (uint64_t old = 0; old < table->capacity; old++) {                                   \
            if (table->slot[old].id == 0)                                                        \
                continue;                                                                        \
            uint64_t s = HASH(table->slot[old].bits) & mask;                                     \
            while (bigger[s].id != 0)                                                            \
                s = (s + 1) & mask;                                                              \
            bigger[s] = table->slot[old];                                                        \
        }                                                                                        \
        free(table->slot);                                                                       \
        table->slot = bigger;                                                                    \
        table->capacity = capacity;                                                              \
        return 0;                                                                                \
    }                                                                                            \
                                                                                                 \
    static int NAME##_init(NAME##_table *table, Py_ssize_t n) {                                  \
        table->capacity = 1024;                                                                  \
        table->count = 0;                                                                        \
        while (table->capacity < (uint64_t)n / 4 && table->capacity < (1u << 22))                \
            table->capacity *= 2;                                                                \
        table->slot = calloc(table->capacity, sizeof *table->slot);                             \
        return table->slot == NULL ? -1 : 0;                                                     \
    }                                                                                            \
                                                                                                 \
    static int NAME##_feed(NAME##_table *table, const WORD *points, Py_ssize_t n, int32_t *inverse) { \
        const WORD sign = (WORD)1 << (8 * sizeof(WORD) - 1);                                     \
        uint64_t mask = table->capacity - 1;                                                     \
        Py_ssize_t count = table->count;                                                         \
        WORD p[BLOCK][3];                                                                        \
        uint64_t h[BLOCK];                                                                       \
        for (Py_ssize_t first = 0; first < n; first += BLOCK) {                                  \
            NAME##_slot *slot = table->slot;                                                     \
            int size = n - first < BLOCK ? (int)(n - first) : BLOCK;                             \
            for (int j = 0; j < size; j++) {                                                     \
                for (int k = 0; k < 3; k++) { /* -0.0 is 0.0 (without a branch) */              \
                    WORD bits = points[3 * (first + j) + k];                                     \
                    p[j][k] = bits & ((WORD)0 - (WORD)(bits != sign));                           \
                }                                                                                \
                h[j] = HASH(p[j]);                                                               \
                __builtin_prefetch(slot + (h[j] & mask));                                        \
            }                                                                                    \
            for (int j = 0; j < size; j++) {                                                     \
                uint64_t s = h[j] & mask;                                                        \
                while (slot[s].id != 0 && (slot[s].bits[0] != p[j][0] || slot[s].bits[1] != p[j][1] || \
                                           slot[s].bits[2] != p[j][2]))                          \
                    s = (s + 1) & mask;                                                          \
                if (slot[s].id == 0) {                                                           \
                    memcpy(slot[s].bits, p[j], sizeof p[j]);                                     \
                    slot[s].id = (int32_t)++count;                                               \
                }                                                                                \
                inverse[first + j] = slot[s].id - 1;                                             \
            }                                                                                    \
            if ((uint64_t)count * 10 > table->capacity * 7) {                                    \
                table->count = count;                                                            \
                if (NAME##_grow(table) < 0)                                                      \
                    return -1;                                                                   \
                mask = table->capacity - 1;                                                      \
            }                                                                                    \
        }                                                                                        \
        table->count = count;                                                                    \
        return 0;                                                                                \
    }                                                                                            \
                                                                                                 \
    static void NAME##_unique(NAME##_table *table, WORD *unique) {                               \
        for (uint64_t s = 0; s < table->capacity; s++)                                           \
            if (table->slot[s].id != 0)                                                          \
                memcpy(unique + 3 * (Py_ssize_t)(table->slot[s].id - 1), table->slot[s].bits,    \
                       sizeof table->slot[s].bits);                                              \
    }                                                                                            \
                                                                                                 \
    static void NAME##_free(NAME##_table *table) {                                               \
        free(table->slot); /* free(NULL) does nothing */                                         \
        table->slot = NULL;                                                                      \
    }

static inline uint64_t hash_u32(const uint32_t p[3]) {
    return mix64(((uint64_t)p[0] | (uint64_t)p[1] << 32) ^ mix64(p[2]));
}

static inline uint64_t hash_u64(const uint64_t p[3]) { return mix64(p[0] ^ mix64(p[1] ^ mix64(p[2]))); }

DEFINE_WELD(weld_u32, uint32_t, hash_u32)
DEFINE_WELD(weld_u64, uint64_t, hash_u64)

typedef struct {
    int is_double;
    weld_u32_table t32;
    weld_u64_table t64;
} Welder;

#define WELDER "geometry._native.Welder"

static void welder_free(Welder *w) {
    weld_u32_free(&w->t32);
    weld_u64_free(&w->t64);
}

static void welder_destroy(PyObject *capsule) {
    Welder *w = PyCapsule_GetPointer(capsule, WELDER);
    if (w != NULL) {
        welder_free(w);
        PyMem_Free(w);
    }
}

static Welder *welder_of(PyObject *capsule) {
    Welder *w = PyCapsule_GetPointer(capsule, WELDER);
    if (w != NULL && w->t32.slot == NULL && w->t64.slot == NULL) {
        PyErr_SetString(PyExc_ValueError, "weld: this table is closed");
        return NULL;
    }
    return w;
}

static PyObject *native_weld_open(PyObject *self, PyObject *args) {
    Py_ssize_t n;
    int is_double;
    if (!PyArg_ParseTuple(args, "np", &n, &is_double))
        return NULL;
    if (n < 0 || n >= INT32_MAX)
        return PyErr_Format(PyExc_ValueError, "weld: %zd points", n);
    Welder *w = PyMem_Calloc(1, sizeof *w);
    if (w == NULL)
        return PyErr_NoMemory();
    w->is_double = is_double;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = is_double ? weld_u64_init(&w->t64, n) : weld_u32_init(&w->t32, n);
    Py_END_ALLOW_THREADS
    if (failed) {
        welder_free(w);
        PyMem_Free(w);
        return PyErr_NoMemory();
    }
    PyObject *capsule = PyCapsule_New(w, WELDER, welder_destroy);
    if (capsule == NULL) {
        welder_free(w);
        PyMem_Free(w);
    }
    return capsule;
}

static PyObject *native_weld_feed(PyObject *self, PyObject *args) {
    PyObject *capsule, *points_obj, *inverse_obj;
    if (!PyArg_ParseTuple(args, "OOO", &capsule, &points_obj, &inverse_obj))
        return NULL;
    Welder *w = welder_of(capsule);
    if (w == NULL)
        return NULL;
    Py_ssize_t word = w->is_double ? 8 : 4;
    Py_buffer pv, iv;
    if (PyObject_GetBuffer(points_obj, &pv, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t n = pv.len / (3 * word);
    Py_ssize_t before = w->is_double ? w->t64.count : w->t32.count;
    if (pv.len != n * 3 * word || before + n >= INT32_MAX) {
        PyBuffer_Release(&pv);
        return PyErr_Format(PyExc_ValueError, "points: not (N, 3) of %zd-byte floats", word);
    }
    if (get_buffer(inverse_obj, &iv, 1, 4, n, "inverse") < 0) {
        PyBuffer_Release(&pv);
        return NULL;
    }
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = w->is_double ? weld_u64_feed(&w->t64, pv.buf, n, iv.buf) : weld_u32_feed(&w->t32, pv.buf, n, iv.buf);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pv);
    PyBuffer_Release(&iv);
    if (failed)
        return PyErr_NoMemory();
    return PyLong_FromSsize_t(w->is_double ? w->t64.count : w->t32.count);
}

/* the distinct points of a table, in order (the table is freed) */
static PyObject *welder_close(Welder *w) {
    Py_ssize_t word = w->is_double ? 8 : 4;
    Py_ssize_t count = w->is_double ? w->t64.count : w->t32.count;
    PyObject *unique = PyByteArray_FromStringAndSize(NULL, count * 3 * word);
    if (unique != NULL) {
        char *out = PyByteArray_AS_STRING(unique);
        Py_BEGIN_ALLOW_THREADS
        if (w->is_double)
            weld_u64_unique(&w->t64, (uint64_t *)out);
        else
            weld_u32_unique(&w->t32, (uint32_t *)out);
        Py_END_ALLOW_THREADS
    }
    welder_free(w);
    if (unique == NULL)
        return NULL;
    PyObject *result = Py_BuildValue("nO", count, unique);
    Py_DECREF(unique);
    return result;
}

static PyObject *native_weld_close(PyObject *self, PyObject *args) {
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "O", &capsule))
        return NULL;
    Welder *w = welder_of(capsule);
    return w == NULL ? NULL : welder_close(w);
}

static PyObject *native_weld(PyObject *self, PyObject *args) {
    PyObject *points_obj, *inverse_obj;
    int is_double;
    if (!PyArg_ParseTuple(args, "OpO", &points_obj, &is_double, &inverse_obj))
        return NULL;
    Py_ssize_t word = is_double ? 8 : 4;
    Py_buffer pv, iv;
    if (PyObject_GetBuffer(points_obj, &pv, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t n = pv.len / (3 * word);
    if (pv.len != n * 3 * word || n >= INT32_MAX) {
        PyBuffer_Release(&pv);
        return PyErr_Format(PyExc_ValueError, "points: not (N, 3) of %zd-byte floats", word);
    }
    if (get_buffer(inverse_obj, &iv, 1, 4, n, "inverse") < 0) {
        PyBuffer_Release(&pv);
        return NULL;
    }
    Welder w = {is_double, {NULL, 0, 0}, {NULL, 0, 0}};
    int failed;
    Py_BEGIN_ALLOW_THREADS
    if (is_double)
        failed = weld_u64_init(&w.t64, n) < 0 || weld_u64_feed(&w.t64, pv.buf, n, iv.buf) < 0;
    else
        failed = weld_u32_init(&w.t32, n) < 0 || weld_u32_feed(&w.t32, pv.buf, n, iv.buf) < 0;
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pv);
    PyBuffer_Release(&iv);
    if (failed) {
        welder_free(&w);
        return PyErr_NoMemory();
    }
    return welder_close(&w);
}

/* --------------------------------------------------------------------------------- edges */

/* edges(faces, V) -> (open, nonmanifold, misoriented, pair_a, pair_b, open_faces, open_ends)
 *
 * faces: (n, 3) int32, no two corners of a face equal. Every directed edge (corner k to
 * corner k + 1) is listed under its lower vertex a as (b << 32 | way << 31 | face), b the
 * higher vertex and way 1 where the edge runs from b to a; each vertex's list is sorted, so
 * an undirected edge {a, b} is one run of b in a's list, the way a -> b first. One entry:
 * open; two: the faces are paired (the one running a -> b first), misoriented if both run the
 * same way; more: non-manifold. The lists are built for a range of vertices at a time, each
 * range's lists at most PASS_ENTRIES long together (the faces are read once per range), so
 * the lists of a large mesh never take more than a few megabytes. The arrays come back as
 * int32 bytearrays; open_ends holds both ends of every open edge.
 *
 * edges(faces, V, 1) -> (open, nonmanifold, misoriented, count, labels, open_faces, open_ends):
 * instead of the pairs, the faces' components through them (as `components` gives them: each
 * label the smallest face of its component), joined as the pairs are found, without the
 * pairs ever being stored.
 */
#define PASS_ENTRIES ((Py_ssize_t)1 << 20) /* 8 MB of lists at a time */

typedef struct {
    Py_ssize_t open, nonmanifold, misoriented, pairs, open_room;
} EdgeCounts;

static inline int32_t find_root(int32_t *parent, int32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* join the components of a and b: the larger root goes under the smaller */
static inline void join(int32_t *parent, int32_t a, int32_t b) {
    int32_t ra = find_root(parent, a), rb = find_root(parent, b);
    if (ra < rb)
        parent[rb] = ra;
    else if (rb < ra)
        parent[ra] = rb;
}

/* every node straight under its root (each root the smallest node of its component, so the
 * roots come first and one step reaches them); returns the count of components */
static Py_ssize_t flatten(int32_t *parent, Py_ssize_t n) {
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        parent[i] = parent[parent[i]];
        count += parent[i] == i;
    }
    return count;
}

#define TARGET(entry) ((int32_t)((entry) >> 32))
#define WAY(entry) ((int)(((entry) >> 31) & 1u))
#define FACE(entry) ((int32_t)((entry) & 0x7FFFFFFFu))

static int compare_entries(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static void sort_list(uint64_t *list, Py_ssize_t length) {
    if (length > 16) {
        qsort(list, length, sizeof *list, compare_entries);
        return;
    }
    for (Py_ssize_t i = 1; i < length; i++) { /* a vertex has a handful of edges: insertion */
        uint64_t entry = list[i];
        Py_ssize_t j = i;
        for (; j > 0 && list[j - 1] > entry; j--)
            list[j] = list[j - 1];
        list[j] = entry;
    }
}

/* the open edges' faces and ends, in buffers that grow as they fill (few, mostly none) */
static int add_open(EdgeCounts *c, int32_t **open_faces, int32_t **open_ends, int32_t face, int32_t a,
                    int32_t b) {
    if (c->open == c->open_room) {
        Py_ssize_t room = c->open_room ? 2 * c->open_room : 1024;
        int32_t *faces = realloc(*open_faces, room * sizeof(int32_t));
        if (faces == NULL)
            return -1;
        *open_faces = faces;
        int32_t *ends = realloc(*open_ends, 2 * room * sizeof(int32_t));
        if (ends == NULL)
            return -1;
        *open_ends = ends;
        c->open_room = room;
    }
    (*open_faces)[c->open] = face;
    (*open_ends)[2 * c->open] = a;
    (*open_ends)[2 * c->open + 1] = b;
    c->open++;
    return 0;
}

/* the edges of vertices [first, last), whose lists start at start[v] - start[first] */
static int edge_pass(const uint32_t *start, const uint64_t *entry, Py_ssize_t first, Py_ssize_t last,
                     EdgeCounts *c, int32_t *pair_a, int32_t *pair_b, int32_t *parent,
                     int32_t **open_faces, int32_t **open_ends) {
    const uint64_t *base = entry - start[first];
    for (Py_ssize_t a = first; a < last; a++) {
        Py_ssize_t end = start[a + 1];
        for (Py_ssize_t p = start[a]; p < end;) {
            int32_t b = TARGET(base[p]);
            Py_ssize_t run = 1;
            while (p + run < end && TARGET(base[p + run]) == b)
                run++;
            if (run == 1) {
                if (add_open(c, open_faces, open_ends, FACE(base[p]), (int32_t)a, b) < 0)
                    return -1;
            } else if (run == 2) {
                c->misoriented += WAY(base[p]) == WAY(base[p + 1]);
                if (parent != NULL) {
                    join(parent, FACE(base[p]), FACE(base[p + 1]));
                } else {
                    pair_a[c->pairs] = FACE(base[p]);
                    pair_b[c->pairs] = FACE(base[p + 1]);
                }
                c->pairs++;
            } else {
                c->nonmanifold++;
            }
            p += run;
        }
    }
    return 0;
}

/* count (start[v + 1]: the entries under v), then turn the counts into where the lists end */
static int count_entries(const int32_t *faces, Py_ssize_t n, Py_ssize_t n_vertices, uint32_t *start) {
    for (Py_ssize_t f = 0; f < n; f++) {
        const int32_t *t = faces + 3 * f;
        for (int k = 0; k < 3; k++)
            if (t[k] < 0 || t[k] >= n_vertices)
                return -1;
        for (int k = 0; k < 3; k++) {
            int32_t a = t[k], b = t[k == 2 ? 0 : k + 1];
            start[(a < b ? a : b) + 1]++;
        }
    }
    for (Py_ssize_t v = 1; v <= n_vertices; v++)
        start[v] += start[v - 1];
    return 0;
}

/* the lists of vertices [first, last) into `entry` (start[]: where each list begins) */
static void fill_entries(const int32_t *faces, Py_ssize_t n, const uint32_t *start, Py_ssize_t first,
                         Py_ssize_t last, uint32_t *fill, uint64_t *entry) {
    const uint32_t offset = start[first];
    memcpy(fill, start + first, (last - first) * sizeof *fill);
    for (Py_ssize_t f = 0; f < n; f++) {
        const int32_t *t = faces + 3 * f;
        for (int k = 0; k < 3; k++) {
            int32_t a = t[k], b = t[k == 2 ? 0 : k + 1];
            int32_t low = a < b ? a : b, high = a < b ? b : a;
            if (low < first || low >= last)
                continue;
            entry[fill[low - first]++ - offset] =
                (uint64_t)(uint32_t)high << 32 | (uint64_t)(a > b) << 31 | (uint64_t)f;
        }
    }
    for (Py_ssize_t v = first; v < last; v++)
        sort_list(entry + (start[v] - offset), start[v + 1] - start[v]);
}

static PyObject *native_edges(PyObject *self, PyObject *args) {
    PyObject *faces_obj;
    Py_ssize_t n_vertices;
    int joined = 0;
    if (!PyArg_ParseTuple(args, "On|p", &faces_obj, &n_vertices, &joined))
        return NULL;
    Py_buffer fv;
    if (PyObject_GetBuffer(faces_obj, &fv, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t n = fv.len / 12;
    if (fv.len != n * 12 || 3 * n >= INT32_MAX || n_vertices < 0 || n_vertices >= INT32_MAX) {
        PyBuffer_Release(&fv);
        return PyErr_Format(PyExc_ValueError, "faces: not (n, 3) int32 of a mesh this size");
    }
    const int32_t *faces = fv.buf;
    Py_ssize_t m = 3 * n;
    PyObject *pa = NULL, *pb = NULL, *of = NULL, *oe = NULL, *result = NULL;
    int32_t *pair_a = NULL, *pair_b = NULL, *parent = NULL;
    if (joined) /* the labels come back in pa */
        parent = new_int32_array(&pa, n);
    else {
        pair_a = new_int32_array(&pa, m / 2 + 1);
        pair_b = new_int32_array(&pb, m / 2 + 1);
    }
    int32_t *open_faces = NULL, *open_ends = NULL;
    uint32_t *start = calloc(n_vertices + 1, sizeof(uint32_t)), *fill = NULL;
    uint64_t *entry = NULL;
    EdgeCounts counts = {0, 0, 0, 0, 0};
    Py_ssize_t components = 0;
    int bad_index = 0, no_memory = 0;
    if ((joined ? !parent : !pair_a || !pair_b) || !start) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    bad_index = count_entries(faces, n, n_vertices, start) < 0;
    if (!bad_index && joined)
        for (Py_ssize_t f = 0; f < n; f++)
            parent[f] = (int32_t)f;
    if (!bad_index) {
        /* the ranges: as many vertices as fit in PASS_ENTRIES, at least one */
        Py_ssize_t longest = 0, width = 0;
        for (Py_ssize_t first = 0, last; first < n_vertices; first = last) {
            for (last = first + 1; last < n_vertices && start[last + 1] - start[first] <= PASS_ENTRIES; last++)
                ;
            longest = start[last] - start[first] > longest ? start[last] - start[first] : longest;
            width = last - first > width ? last - first : width;
        }
        entry = malloc((longest > 0 ? longest : 1) * sizeof *entry);
        fill = malloc((width > 0 ? width : 1) * sizeof *fill);
        no_memory = entry == NULL || fill == NULL;
        for (Py_ssize_t first = 0, last; first < n_vertices && !no_memory; first = last) {
            for (last = first + 1; last < n_vertices && start[last + 1] - start[first] <= PASS_ENTRIES; last++)
                ;
            fill_entries(faces, n, start, first, last, fill, entry);
            no_memory = edge_pass(start, entry, first, last, &counts, pair_a, pair_b, parent, &open_faces,
                                  &open_ends) < 0;
        }
        if (joined && !no_memory) {
            free(entry); /* before the last pass over the labels */
            entry = NULL;
            components = flatten(parent, n);
        }
    }
    Py_END_ALLOW_THREADS
    if (bad_index) {
        PyErr_SetString(PyExc_ValueError, "faces: a vertex number out of range");
        goto done;
    }
    if (no_memory) {
        PyErr_NoMemory();
        goto done;
    }
    if (!joined && (shrink(pa, counts.pairs) < 0 || shrink(pb, counts.pairs) < 0))
        goto done;
    of = PyByteArray_FromStringAndSize((const char *)open_faces, counts.open * (Py_ssize_t)sizeof(int32_t));
    oe = PyByteArray_FromStringAndSize((const char *)open_ends, 2 * counts.open * (Py_ssize_t)sizeof(int32_t));
    if (of == NULL || oe == NULL)
        goto done;
    if (joined)
        result = Py_BuildValue("nnnnOOO", counts.open, counts.nonmanifold, counts.misoriented, components, pa, of, oe);
    else
        result = Py_BuildValue("nnnOOOO", counts.open, counts.nonmanifold, counts.misoriented, pa, pb, of, oe);
done:
    free(start);
    free(fill);
    free(entry);
    free(open_faces);
    free(open_ends);
    Py_XDECREF(pa);
    Py_XDECREF(pb);
    Py_XDECREF(of);
    Py_XDECREF(oe);
    PyBuffer_Release(&fv);
    return result;
}

/* ---------------------------------------------------------------------------- components */

/* components(n, a, b) -> (count, labels)
 *
 * Connected components of nodes 0..n-1 joined by the pairs (a[i], b[i]) (int32 arrays of one
 * length): union-find that always hangs the larger root under the smaller, so each label
 * (an int32 bytearray) is the smallest node of its component.
 */
static PyObject *native_components(PyObject *self, PyObject *args) {
    Py_ssize_t n;
    PyObject *a_obj, *b_obj;
    if (!PyArg_ParseTuple(args, "nOO", &n, &a_obj, &b_obj))
        return NULL;
    if (n < 0 || n >= INT32_MAX)
        return PyErr_Format(PyExc_ValueError, "components: %zd nodes", n);
    Py_buffer av, bv;
    if (PyObject_GetBuffer(a_obj, &av, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    Py_ssize_t m = av.len / 4;
    if (get_buffer(b_obj, &bv, 0, 4, m, "b") < 0) {
        PyBuffer_Release(&av);
        return NULL;
    }
    PyObject *labels_obj = NULL, *result = NULL;
    int32_t *parent = new_int32_array(&labels_obj, n);
    Py_ssize_t count = 0;
    int bad_index = 0;
    if (parent != NULL) {
        const int32_t *a = av.buf, *b = bv.buf;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++)
            parent[i] = (int32_t)i;
        for (Py_ssize_t i = 0; i < m; i++) {
            if (a[i] < 0 || a[i] >= n || b[i] < 0 || b[i] >= n) {
                bad_index = 1;
                break;
            }
            join(parent, a[i], b[i]);
        }
        if (!bad_index)
            count = flatten(parent, n);
        Py_END_ALLOW_THREADS
        if (bad_index)
            PyErr_SetString(PyExc_ValueError, "components: a node number out of range");
        else
            result = Py_BuildValue("nO", count, labels_obj);
    }
    Py_XDECREF(labels_obj);
    PyBuffer_Release(&av);
    PyBuffer_Release(&bv);
    return result;
}

static PyMethodDef methods[] = {
    {"soup", native_soup, METH_VARARGS, "soup(triangles, double, centre, areas, sizes, volumes[, total]) -> 6 x volume"},
    {"weld", native_weld, METH_VARARGS, "weld(points, double, inverse) -> (V, unique)"},
    {"weld_open", native_weld_open, METH_VARARGS, "weld_open(N, double) -> table"},
    {"weld_feed", native_weld_feed, METH_VARARGS, "weld_feed(table, points, inverse) -> V so far"},
    {"weld_close", native_weld_close, METH_VARARGS, "weld_close(table) -> (V, unique)"},
    {"edges", native_edges, METH_VARARGS,
     "edges(faces, V[, joined]) -> (open, nonmanifold, misoriented, pair_a, pair_b | count, labels, open_faces, "
     "open_ends)"},
    {"components", native_components, METH_VARARGS, "components(n, a, b) -> (count, labels)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
