/*
 * box3d.c: Box3D of the Lyft devkit's mAP_evaluation.py, the box MLE-bench
 * grades 3d-object-detection-for-autonomous-vehicles with, in the same
 * floating-point steps.
 *
 * The yaw goes through a pyquaternion round trip: Quaternion(axis=[0, 0, 1],
 * radians=yaw) is q = (cos(yaw/2), 0, 0, sin(yaw/2)) (math.cos/sin of
 * yaw / 2.0), it is always a unit quaternion to 1e-14 so rotation_matrix
 * never normalises it, and the two entries Box3D reads come from numpy.dot
 * of pyquaternion's 4x4 matrices, summed in index order as reference BLAS
 * does: R[0][0] = (q1*q1 + q0*q0) - q3*q3 + q2*(-q2) and R[1][0] = q2*q1 +
 * q3*q0 + q0*q3 + q1*q2 (q1 = q2 = 0 drop out). An OpenBLAS build that
 * fuses multiply-adds can differ from this by one unit in the last place;
 * that moves a score only where an IoU lies within about 1e-15 of a
 * threshold. The build compiles bench/ with -ffp-contract=off so the
 * compiler never fuses them either.
 *
 * The corners are Box3D's expressions, in Python's left-to-right order; the
 * four right-angle assertions it makes are checked the same way
 * (numpy.isclose(dot, 0): finite and |dot| <= 1e-8).
 *
 * The footprint overlap is what shapely (GEOS) computes as the area of the
 * intersection polygon: here Sutherland-Hodgman clipping of one convex
 * quadrilateral by the other, then the shoelace formula. Both round
 * differently in the last bits; clipping against an axis-parallel edge
 * takes that edge's coordinate exactly, so boxes without yaw meet at exact
 * coordinates as in GEOS. The area is summed as GEOS sums a ring's, and
 * two boxes without yaw (footprints that are their own bounding
 * rectangles) overlap by exactly GEOS's dx * dy, so ties such as an IoU of
 * 0.6 against the threshold 0.6 come out the same.
 */
#include "box3d.h"

#include <math.h>
#include <string.h>

/* Python's max(a, b) and min(a, b): the first unless the second is
 * strictly beyond it. */
static double py_max(double a, double b) { return b > a ? b : a; }
static double py_min(double a, double b) { return b < a ? b : a; }

/* numpy.isclose(dot of (b - a) and (c - a), 0) */
static int right_angle(const double *a, const double *b, const double *c)
{
    double d = (b[0] - a[0]) * (c[0] - a[0]) + (b[1] - a[1]) * (c[1] - a[1]);
    return isfinite(d) && fabs(d) <= 1e-8;
}

int box3d_ready(box3d *b, const char **why)
{
    if (b->state) {
        *why = b->state < 0 ? "rejected" : NULL;
        return b->state < 0 ? -1 : 0;
    }
    b->state = -1;
    if (isnan(b->c[0]) || isnan(b->c[1]) || isnan(b->c[2])) {
        *why = "a center coordinate is nan (Box3D: Translation may not be NaN!)";
        return -1;
    }
    if (isnan(b->size[0]) || isnan(b->size[1]) || isnan(b->size[2])) {
        *why = "a size is nan (Box3D: Size may not be NaN!)";
        return -1;
    }
    if (isnan(b->yaw)) {
        *why = "the yaw is nan (Box3D: Rotation may not be NaN!)";
        return -1;
    }
    if (!(b->size[0] > 0 && b->size[1] > 0 && b->size[2] > 0)) {
        *why = "width, length and height must all be > 0 (Box3D asserts it)";
        return -1;
    }
    double theta = b->yaw / 2.0;
    double q0 = cos(theta), q3 = sin(theta);
    double cos_a = q0 * q0 + -q3 * q3, sin_a = q3 * q0 + q0 * q3;
    double w = b->size[0], l = b->size[1], h = b->size[2];
    double cx = b->c[0], cy = b->c[1];
    double lc = l / 2 * cos_a, ls = l / 2 * sin_a, wc = w / 2 * cos_a, ws = w / 2 * sin_a;
    double(*p)[2] = b->xy;
    p[0][0] = cx + lc + ws, p[0][1] = cy + ls - wc;
    p[1][0] = cx + lc - ws, p[1][1] = cy + ls + wc;
    p[2][0] = cx - lc - ws, p[2][1] = cy - ls + wc;
    p[3][0] = cx - lc + ws, p[3][1] = cy - ls - wc;
    if (!right_angle(p[0], p[1], p[3]) || !right_angle(p[1], p[0], p[2]) ||
        !right_angle(p[2], p[1], p[3]) || !right_angle(p[3], p[0], p[2])) {
        *why = "its footprint fails Box3D's right-angle assertion (corners off by more "
               "than 1e-8: coordinates too large for its size, or infinite)";
        return -1;
    }
    for (int k = 0; k < 2; k++) {
        b->lo[k] = b->hi[k] = p[0][k];
        for (int i = 1; i < 4; i++) {
            b->lo[k] = fmin(b->lo[k], p[i][k]);
            b->hi[k] = fmax(b->hi[k], p[i][k]);
        }
    }
    b->axis = cos_a == 0 || sin_a == 0; /* the footprint is its bounding rectangle */
    b->min_z = b->c[2] - h / 2;
    b->max_z = b->c[2] + h / 2;
    b->volume = w * l * h; /* numpy.prod: ((1 * w) * l) * h */
    b->state = 1;
    *why = NULL;
    return 0;
}

/* ---- convex clipping ----------------------------------------------------------- */

enum { MAXV = 16 }; /* a quadrilateral clipped by four half-planes: at most 8 */

static double cross(const double *a, const double *b, const double *p)
{
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

/* Where segment s-e crosses the line a-b (ds, de: their sides). Axis-
 * parallel lines and segments keep their coordinate exactly. */
static void crossing(double *out, const double *s, const double *e, double ds, double de,
                     const double *a, const double *b)
{
    double t = ds / (ds - de);
    out[0] = s[0] + t * (e[0] - s[0]);
    out[1] = s[1] + t * (e[1] - s[1]);
    for (int k = 0; k < 2; k++) {
        if (s[k] == e[k])
            out[k] = s[k];
        if (a[k] == b[k])
            out[k] = a[k];
    }
}

/* |area| of the ring p[0..n) as GEOS's Area::ofRing sums it: x relative to
 * the first vertex, each times the change in y around it. */
static double shoelace(const double (*p)[2], int n)
{
    double s = 0, x0 = p[0][0];
    for (int i = 1; i < n; i++)
        s += (p[i][0] - x0) * (p[i - 1][1] - p[(i + 1) % n][1]);
    return fabs(s / 2.0);
}

double box3d_overlap_area(const double a[4][2], const double b[4][2])
{
    /* a collapsed footprint (corners that coincide) has no area to share;
     * clipping by its zero-length edges would cut nothing */
    double area_a = shoelace(a, 4), area_b = shoelace(b, 4);
    if (!(area_a > 0) || !(area_b > 0))
        return 0;
    /* The overlap is symmetric; clip the smaller footprint by the larger's
     * edges. The other way round, a footprint many orders of magnitude
     * larger (a hostile 1e71 m box) was cut at crossings computed from its
     * huge coordinates, and the "overlap" came out at 1e108 (found by the
     * libFuzzer build of fuzz_lyft). What is left of the rounding stays
     * within [0, the smaller area], where every overlap lies. */
    if (area_b < area_a) {
        const double(*t)[2] = a;
        a = b, b = t;
    }
    double buf[2][MAXV][2];
    int n = 4, cur = 0;
    memcpy(buf[0], a, 4 * sizeof a[0]);
    for (int e = 0; e < 4 && n > 0; e++) {
        const double *ca = b[e], *cb = b[(e + 1) % 4];
        double(*in)[2] = buf[cur], (*out)[2] = buf[!cur];
        int m = 0;
        for (int i = 0; i < n; i++) {
            const double *s = in[i], *t = in[(i + 1) % n];
            double ds = cross(ca, cb, s), dt = cross(ca, cb, t);
            if (ds >= 0 && m < MAXV) {
                out[m][0] = s[0], out[m][1] = s[1];
                m++;
            }
            if (((ds >= 0) != (dt >= 0)) && m < MAXV)
                crossing(out[m++], s, t, ds, dt, ca, cb);
        }
        n = m;
        cur = !cur;
    }
    double area = n >= 3 ? shoelace(buf[cur], n) : 0;
    double small = area_a < area_b ? area_a : area_b;
    return area > small ? small : area;
}

double box3d_iou(const box3d *pred, const box3d *gt)
{
    double lo = py_max(gt->min_z, pred->min_z), hi = py_min(gt->max_z, pred->max_z);
    double dh = hi - lo, height = dh > 0 ? dh : 0; /* max(0, max_z - min_z) */
    double area = 0;
    /* disjoint bounding rectangles: GEOS's result is empty, area 0 */
    if (!(pred->axis && gt->axis) &&
        !(pred->hi[0] < gt->lo[0] || gt->hi[0] < pred->lo[0] || pred->hi[1] < gt->lo[1] ||
          gt->hi[1] < pred->lo[1]))
        area = box3d_overlap_area((const double(*)[2])pred->xy, (const double(*)[2])gt->xy);
    if (pred->axis && gt->axis) {
        /* two rectangles without yaw: GEOS's intersection is the rectangle of
         * the inner edges, whose ring area is exactly dx * dy */
        double dx = py_min(pred->hi[0], gt->hi[0]) - py_max(pred->lo[0], gt->lo[0]);
        double dy = py_min(pred->hi[1], gt->hi[1]) - py_max(pred->lo[1], gt->lo[1]);
        area = dx > 0 && dy > 0 ? dx * dy : 0;
    }
    double inter = height * area;
    double iou = inter / (pred->volume + gt->volume - inter);
    if (isnan(iou))
        return iou;
    return iou < 0 ? 0 : iou > 1 ? 1 : iou; /* numpy.clip(x, 0, 1) */
}
