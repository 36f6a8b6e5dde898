/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the tree ensembles share: prediction, the node list that both
 * trainers grow (gf_forest), their radix sorts' digit width and offsets,
 * and handing back the caller's rows. The trainers are gf_model_gbr.c
 * (sklearn's GradientBoostingRegressor, exact greedy splits) and
 * gf_model_xgb.c (an xgboost-style histogram booster).
 *
 * Both see scaled values x / scale computed on the fly (no scaled copy of
 * X), and store thresholds in scaled units: a row goes left when
 * xs <= thr, at training and at prediction time alike.
 */
#include <stdint.h>
#include <stdlib.h>

#include "gf_model_impl.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

void
gf_predict_trees_n(const struct gf_model *m, const double *xs, size_t n,
    double *out)
{
	size_t nf = m->nf;

	for (size_t i = 0; i < n; i++)
		out[i] = m->base;
	for (size_t t = 0; t < m->ntrees; t++) {
		const struct gf_tnode *nd = m->nodes + m->off[t];

		for (size_t i = 0; i < n; i++) {
			const double *x = xs + i * nf;
			int k = 0;

			while (nd[k].feature >= 0)
				k = x[nd[k].feature] <= nd[k].thr ?
				    nd[k].left : nd[k].right;
			out[i] += nd[k].value;
		}
	}
}

double
gf_predict_trees(const struct gf_model *m, const double *xs)
{
	double r;

	gf_predict_trees_n(m, xs, 1, &r);
	return r;
}

int
gf_forest_add(struct gf_forest *f, size_t tree_start)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 256;
		f->nodes = gf_xreallocarray(f->nodes, f->cap,
		    sizeof(*f->nodes));
	}
	f->nodes[f->n].feature = -1;
	f->nodes[f->n].left = f->nodes[f->n].right = -1;
	f->nodes[f->n].thr = 0;
	f->nodes[f->n].value = 0;
	return (int)(f->n++ - tree_start);
}

void
gf_forest_done(struct gf_model *m, struct gf_forest *f)
{
	m->nodes = f->nodes;
	m->off = f->off;
	m->ntrees = f->ntrees;
}

/*
 * LSD radix sorts (gf_sort_rows, sort_keys) take 16 bits a pass, 8 below
 * 4,096 keys, where clearing 65,536 counters would cost more than the
 * keys.
 */
int
gf_radix_bits(size_t n)
{
	return n < 4096 ? 8 : 16;
}

/*
 * A pass's digit counts (nd of them, n keys) made into where each digit's
 * keys start; 0 when every key has digit d0, a pass that moves nothing.
 */
int
gf_radix_offsets(size_t *cnt, size_t nd, size_t d0, size_t n)
{
	size_t sum = 0;

	if (cnt[d0] == n)
		return 0;
	for (size_t d = 0; d < nd; d++) {
		size_t c = cnt[d];

		cnt[d] = sum;
		sum += c;
	}
	return 1;
}

void
gf_release_rows(double **own)
{
	if (own != NULL) {
		free(*own);
		*own = NULL;
	}
}
