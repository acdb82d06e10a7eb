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

/* soup(triangles, double, centre, areas, sizes, volumes) -> six times the signed volume
 *
 * triangles: (n, 3, 3) float32 (double=0) or float64; centre: 3 float64. Writes each facet's
 * area (float64), largest axis-aligned extent (float32) and six times its signed tetrahedron
 * volume about `centre` (float32), all worked out in double precision.
 */
#define DEFINE_SOUP(NAME, REAL)                                                                  \
    static double NAME(const REAL *t, Py_ssize_t n, const double *centre, double *areas,        \
                       float *sizes, float *volumes) {                                           \
        double total = 0.0;                                                                      \
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
    if (!PyArg_ParseTuple(args, "OpOOOO", &tri_obj, &is_double, &centre_obj, &areas_obj, &sizes_obj,
                          &volumes_obj))
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
    total = is_double ? soup_f64(tv.buf, n, cv.buf, av.buf, sv.buf, vv.buf)
                      : soup_f32(tv.buf, n, cv.buf, av.buf, sv.buf, vv.buf);
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
 * at twice the vertices of a closed mesh (N / 6), at most 4 M slots, and grows past 70 % full.
 */
#define BLOCK 64 /* points hashed, and their slots asked for, ahead of the lookups */

/* One weld per word size. NAME returns the vertex count (-1: out of memory) and leaves the
 * table to NAME##_unique, which writes the distinct points in order and frees it. */
#define DEFINE_WELD(NAME, WORD, HASH)                                                            \
    typedef struct {                                                                             \
        WORD bits[3];                                                                            \
        int32_t id; /* 0: empty; vertex numbers from 1 */                                        \
    } NAME##_slot;                                                                               \
                                                                                                 \
    typedef struct {                                                                             \
        NAME##_slot *slot;                                                                       \
        uint64_t capacity;                                                                       \
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
    static Py_ssize_t NAME(const WORD *points, Py_ssize_t n, int32_t *inverse, NAME##_table *table) { \
        const WORD sign = (WORD)1 << (8 * sizeof(WORD) - 1);                                     \
        table->capacity = 1024;                                                                  \
        while (table->capacity < (uint64_t)n / 2 && table->capacity < (1u << 22))                \
            table->capacity *= 2;                                                                \
        table->slot = calloc(table->capacity, sizeof *table->slot);                             \
        if (table->slot == NULL)                                                                 \
            return -1;                                                                           \
        uint64_t mask = table->capacity - 1;                                                     \
        Py_ssize_t count = 0;                                                                    \
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
                if (NAME##_grow(table) < 0)                                                      \
                    return -1;                                                                   \
                mask = table->capacity - 1;                                                      \
            }                                                                                    \
        }                                                                                        \
        return count;                                                                            \
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
    weld_u32_table t32 = {NULL, 0};
    weld_u64_table t64 = {NULL, 0};
    Py_ssize_t count;
    Py_BEGIN_ALLOW_THREADS
    count = is_double ? weld_u64(pv.buf, n, iv.buf, &t64) : weld_u32(pv.buf, n, iv.buf, &t32);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&pv);
    PyBuffer_Release(&iv);
    PyObject *unique = count < 0 ? NULL : PyByteArray_FromStringAndSize(NULL, count * 3 * word);
    if (unique != NULL) {
        char *out = PyByteArray_AS_STRING(unique);
        Py_BEGIN_ALLOW_THREADS
        if (is_double)
            weld_u64_unique(&t64, (uint64_t *)out);
        else
            weld_u32_unique(&t32, (uint32_t *)out);
        Py_END_ALLOW_THREADS
    }
    weld_u32_free(&t32);
    weld_u64_free(&t64);
    if (count < 0)
        return PyErr_NoMemory();
    if (unique == NULL)
        return NULL;
    PyObject *result = Py_BuildValue("nO", count, unique);
    Py_DECREF(unique);
    return result;
}

/* --------------------------------------------------------------------------------- edges */

/* edges(faces, V) -> (open, nonmanifold, misoriented, pair_a, pair_b, open_faces, open_ends)
 *
 * faces: (n, 3) int32, no two corners of a face equal. Every directed edge a -> b (corner k
 * to corner k + 1) is listed under its start a as (b << 32 | face), and each vertex's list is
 * sorted. An undirected edge {a, b} is then a run of b in a's list (a -> b) and a run of a in
 * b's list (b -> a, found by binary search from the lower vertex, which marks the run it
 * finds so the higher vertex skips it): each edge is handled once, and an edge that runs one
 * way only is handled at its start. One occurrence: open; two: the faces are paired, misoriented
 * if both run the same way; more: non-manifold. The arrays come back as int32 bytearrays;
 * open_ends holds both ends of every open edge.
 */
typedef struct {
    Py_ssize_t open, nonmanifold, misoriented, pairs;
} EdgeCounts;

#define TARGET(entry) ((int32_t)((entry) >> 32))
#define FACE(entry) ((int32_t)((entry) & 0x7FFFFFFFu))
#define SEEN 0x80000000u /* on the first entry of a run: its edge was counted from the other end */

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

/* the first position in the sorted list [lo, hi) whose target is at least `target` */
static Py_ssize_t lower_bound(const uint64_t *entry, Py_ssize_t lo, Py_ssize_t hi, int32_t target) {
    uint64_t key = (uint64_t)(uint32_t)target << 32;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (entry[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static Py_ssize_t run_of(const uint64_t *entry, Py_ssize_t at, Py_ssize_t end, int32_t target) {
    Py_ssize_t length = 0;
    while (at + length < end && TARGET(entry[at + length]) == target)
        length++;
    return length;
}

static void edge_pass(const int64_t *start, uint64_t *entry, Py_ssize_t n_vertices, EdgeCounts *c,
                      int32_t *pair_a, int32_t *pair_b, int32_t *open_faces, int32_t *open_ends) {
    for (Py_ssize_t a = 0; a < n_vertices; a++) {
        Py_ssize_t end = start[a + 1];
        for (Py_ssize_t p = start[a]; p < end;) {
            int32_t b = TARGET(entry[p]);
            Py_ssize_t same = run_of(entry, p, end, b), back = 0, q = 0;
            if (entry[p] & SEEN) { /* counted from b's list already */
                p += same;
                continue;
            }
            if (a < b) { /* the way back, if any: seen from here, so not again from b */
                q = lower_bound(entry, start[b], start[b + 1], (int32_t)a);
                back = run_of(entry, q, start[b + 1], (int32_t)a);
                if (back)
                    entry[q] |= SEEN;
            } /* else b < a with no mark: b's list has no way back */
            Py_ssize_t occurrences = same + back;
            if (occurrences == 1) {
                open_faces[c->open] = FACE(entry[p]);
                open_ends[2 * c->open] = (int32_t)a;
                open_ends[2 * c->open + 1] = b;
                c->open++;
            } else if (occurrences == 2) { /* a run of two here is two edges one way */
                c->misoriented += same == 2;
                pair_a[c->pairs] = FACE(entry[p]);
                pair_b[c->pairs] = FACE(entry[same == 2 ? p + 1 : q]);
                c->pairs++;
            } else {
                c->nonmanifold++;
            }
            p += same;
        }
    }
}

static PyObject *native_edges(PyObject *self, PyObject *args) {
    PyObject *faces_obj;
    Py_ssize_t n_vertices;
    if (!PyArg_ParseTuple(args, "On", &faces_obj, &n_vertices))
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
    int32_t *pair_a = new_int32_array(&pa, m / 2 + 1), *pair_b = new_int32_array(&pb, m / 2 + 1);
    int32_t *open_faces = new_int32_array(&of, m), *open_ends = new_int32_array(&oe, 2 * m);
    int64_t *start = calloc(n_vertices + 2, sizeof(int64_t));
    uint64_t *entry = calloc(m > 0 ? m : 1, sizeof(uint64_t));
    EdgeCounts counts = {0, 0, 0, 0};
    int bad_index = 0;
    if (!pair_a || !pair_b || !open_faces || !open_ends || !start || !entry) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < m; i++) {
        int32_t v = faces[i];
        if (v < 0 || v >= n_vertices) {
            bad_index = 1;
            break;
        }
        start[v + 2]++;
    }
    if (!bad_index) {
        /* start[v + 1] becomes where v's list begins; the fill moves it to where it ends */
        for (Py_ssize_t v = 2; v < n_vertices + 2; v++)
            start[v] += start[v - 1];
        for (Py_ssize_t f = 0; f < n; f++)
            for (int k = 0; k < 3; k++) {
                uint32_t a = (uint32_t)faces[3 * f + k], b = (uint32_t)faces[3 * f + (k + 1) % 3];
                entry[start[a + 1]++] = (uint64_t)b << 32 | (uint64_t)f;
            }
        for (Py_ssize_t v = 0; v < n_vertices; v++)
            sort_list(entry + start[v], start[v + 1] - start[v]);
        edge_pass(start, entry, n_vertices, &counts, pair_a, pair_b, open_faces, open_ends);
    }
    Py_END_ALLOW_THREADS
    if (bad_index) {
        PyErr_SetString(PyExc_ValueError, "faces: a vertex number out of range");
        goto done;
    }
    if (shrink(pa, counts.pairs) < 0 || shrink(pb, counts.pairs) < 0 || shrink(of, counts.open) < 0 ||
        shrink(oe, 2 * counts.open) < 0)
        goto done;
    result = Py_BuildValue("nnnOOOO", counts.open, counts.nonmanifold, counts.misoriented, pa, pb, of, oe);
done:
    free(start);
    free(entry);
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
static inline int32_t find_root(int32_t *parent, int32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

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
            int32_t ra = find_root(parent, a[i]), rb = find_root(parent, b[i]);
            if (ra < rb)
                parent[rb] = ra;
            else if (rb < ra)
                parent[ra] = rb;
        }
        for (Py_ssize_t i = 0; i < n && !bad_index; i++) {
            parent[i] = parent[parent[i]]; /* roots come first: one step reaches the root */
            count += parent[i] == i;
        }
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
    {"soup", native_soup, METH_VARARGS, "soup(triangles, double, centre, areas, sizes, volumes) -> 6 x volume"},
    {"weld", native_weld, METH_VARARGS, "weld(points, double, inverse) -> (V, unique)"},
    {"edges", native_edges, METH_VARARGS,
     "edges(faces, V) -> (open, nonmanifold, misoriented, pair_a, pair_b, open_faces, open_ends)"},
    {"components", native_components, METH_VARARGS, "components(n, a, b) -> (count, labels)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
