/*
 * box3d.h (private to bench/): the yawed 3-D boxes of the Lyft devkit's
 * mAP_evaluation.py (class Box3D), as MLE-bench's grader builds them, and
 * their IoU.
 */
#ifndef GROVE_BENCH_BOX3D_H
#define GROVE_BENCH_BOX3D_H

#include <stddef.h>

/* One box of a PredictionString. The parser fills conf .. name; box3d_ready
 * fills the rest. */
typedef struct box3d {
    double conf;      /* confidence (ground truth: 1.0 in the answers) */
    double c[3];      /* center_x, center_y, center_z */
    double size[3];   /* width, length, height */
    double yaw;       /* radians about z */
    const char *name; /* class name: the 9th token, any text */
    size_t name_len;
    size_t row, seq; /* row of the metric input; 0-based place in its cell */
    int state;       /* 0 not checked yet, 1 ready, -1 Box3D rejects it */
    double xy[4][2]; /* footprint corners, counter-clockwise */
    double lo[2], hi[2]; /* the corners' bounding rectangle */
    int axis;            /* no yaw in effect: the footprint is lo..hi */
    double min_z, max_z, volume;
} box3d;

/* Box3D's checks and derived values for b, once (b->state): 0 with the
 * corners, or -1 with *why (static text) saying which check fails: a NaN
 * center, size or rotation (yaw), a size that is not > 0, or corners that
 * fail its right-angle assertion (|dot| <= 1e-8, so huge or infinite
 * values). */
int box3d_ready(box3d *b, const char **why);

/* pred.get_iou(gt) for two ready boxes: intersection volume (footprint
 * overlap times height overlap) over the union, clipped to [0, 1]; NaN
 * where numpy's division gives NaN (zero or infinite volumes). */
double box3d_iou(const box3d *pred, const box3d *gt);

/* Area of the intersection of two convex counter-clockwise quadrilaterals
 * (Sutherland-Hodgman clipping, then the shoelace formula). Exposed for
 * the fuzz test. */
double box3d_overlap_area(const double a[4][2], const double b[4][2]);

#endif
