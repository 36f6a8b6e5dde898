/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GradientBoostingRegressorTrainer: sklearn's GradientBoostingRegressor
 * (n_estimators=100, max_depth=3, learning rate 0.1; exact greedy splits,
 * Friedman MSE), on rows presorted once per feature by gf_sort_rows.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_model_impl.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

size_t gf_gbr_copy_max = (size_t)1 << 19;

void
gf_sort_rows(const double *col, size_t stride, uint32_t *s, uint32_t *tmp,
    size_t n)
{
	int bits = gf_radix_bits(n);
	size_t nd = (size_t)1 << bits, mask = nd - 1;
	size_t *cnt = gf_xreallocarray(NULL, nd, sizeof(*cnt));
	uint32_t *a = s, *b = tmp, *t;

	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)i;
	for (int sh = 0; sh < 64 && n > 0; sh += bits) {
		/* Counting needs no order: the column front to back. */
		memset(cnt, 0, nd * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(gf_dkey(col[i * stride]) >> sh) & mask]++;
		if (!gf_radix_offsets(cnt, nd, (gf_dkey(col[0]) >> sh) & mask,
		    n))
			continue;
		for (size_t i = 0; i < n; i++) {
			uint32_t r = a[i];
			uint64_t key = gf_dkey(col[(size_t)r * stride]);

			b[cnt[(key >> sh) & mask]++] = r;
		}
		t = a;
		a = b;
		b = t;
	}
	if (a != s)
		memcpy(s, a, n * sizeof(*s));
	free(cnt);
}

struct gbr_open {
	int node;		/* node index in the tree */
	double sum, sumsq;
	size_t cnt;
	size_t begin, end;	/* segment of every feature's sorted rows */
	int nosplit;
	int child;		/* index of the left child in the next level */
	size_t nleft;		/* rows of the split going left */
	/* best split */
	double best;
	int bf;
	double thr;
};

/*
 * The best split of node o on one feature: s[0..n) are its rows in
 * ascending order of the feature (ties by row), v their scaled values.
 * The running sums live in registers for the whole segment.
 *
 * The gain's three divisions, once per distinct value, were most of the
 * trainer's time. A bound without a division comes first: the gain is
 * (suml nr - sumr nl)^2 / (nl nr cnt), and the bound widens that
 * difference by 1e-15 of its terms and the square by 1e-12, far more
 * than the rounding of either form, so a split whose bound is not above
 * the best cannot beat it, and every split that can is still decided by
 * the exact expression below.
 */
static void
gbr_scan(struct gbr_open *o, int f, const uint32_t *s, const double *v,
    size_t n, const double *res)
{
	double suml = 0, last = 0, cnt = (double)o->cnt;
	size_t cntl = 0;

	for (size_t ii = 0; ii < n; ii++) {
		double x = v[ii];

		if (cntl > 0 && x > last) {
			size_t nl = cntl, nr = o->cnt - nl;
			double a = suml * (double)nr;
			double b = (o->sum - suml) * (double)nl;
			double dd = fabs(a - b) + 1e-15 * (fabs(a) + fabs(b));

			if (dd * dd * (1 + 1e-12) <= o->best * (double)nl *
			    (double)nr * cnt) {
				suml += res[s[ii]];
				cntl++;
				last = x;
				continue;
			}
			double diff = suml / (double)nl - (o->sum - suml) /
			    (double)nr;
			double g = (double)nl * (double)nr * diff * diff /
			    (double)o->cnt;

			if (g > o->best) {
				o->best = g;
				o->bf = f;
				o->thr = last / 2 + x / 2;
				if (o->thr >= x || o->thr < last)
					o->thr = last;
			}
		}
		suml += res[s[ii]];
		cntl++;
		last = x;
	}
}

/*
 * Stable partition, in place, of a node's segment (rows s, values v):
 * the rows now in node left, then the others; returns the size of the
 * first part. A row is written at or before the place it was read from.
 * The side of the row at each place is kept in bits pos, pos + 1, ... of
 * side, for gbr_unpart (side NULL: not kept). ts and tv take the right
 * part meanwhile (one 8-byte scratch array, rows then values in two
 * passes, took 10 % more time at 10^6 rows for 4 bytes a row).
 */
static size_t
gbr_part(uint32_t *s, double *v, size_t n, const uint8_t *nodeof,
    int left, uint32_t *ts, double *tv, uint64_t *side, size_t pos)
{
	size_t a = 0, nr = 0;
	/* The side bits of the current word, stored when it is full. */
	uint64_t bits = 0, mask = 0;

	for (size_t ii = 0; ii < n; ii++) {
		uint32_t r = s[ii];
		double x = v[ii];
		size_t l = nodeof[r] == left;
		size_t p = pos + ii;

		bits |= (uint64_t)l << p % 64;
		mask |= UINT64_C(1) << p % 64;
		if (side != NULL && (p % 64 == 63 || ii + 1 == n)) {
			side[p / 64] = (side[p / 64] & ~mask) | bits;
			bits = mask = 0;
		}

		/* Branch-free: the side of a row is unpredictable. */
		s[a] = r;
		v[a] = x;
		ts[nr] = r;
		tv[nr] = x;
		a += l;
		nr += 1 - l;
	}
	memcpy(s + a, ts, nr * sizeof(*s));
	memcpy(v + a, tv, nr * sizeof(*v));
	return a;
}

/*
 * The sums and counts of a split node o's children L and R (the rows in
 * node L->node go left): over o's segment of rs, which holds its rows in
 * ascending order, so each child's residuals are added in the order a
 * pass over all rows would add them, in registers. When part, the
 * segment is partitioned stably, the children's in row order in turn.
 */
static void
gbr_children(const struct gbr_open *o, struct gbr_open *L,
    struct gbr_open *R, uint32_t *rs, const uint8_t *nodeof,
    const double *res, int part, uint32_t *ts)
{
	double suml = 0, sql = 0, sumr = 0, sqr = 0;
	size_t n = o->end - o->begin, a = 0, nr = 0;

	rs += o->begin;
	for (size_t ii = 0; ii < n; ii++) {
		uint32_t r = rs[ii];
		double v = res[r], vv = v * v;
		int l = nodeof[r] == L->node;

		/*
		 * Adding 0 to the other side's sums leaves them as they
		 * are: a sum that starts at +0 is never -0.
		 */
		suml += l ? v : 0;
		sql += l ? vv : 0;
		sumr += l ? 0 : v;
		sqr += l ? 0 : vv;
		if (part) {
			rs[a] = r;
			ts[nr] = r;
			a += (size_t)l;
			nr += (size_t)!l;
		}
	}
	if (part)
		memcpy(rs + a, ts, nr * sizeof(*rs));
	L->sum = suml;
	L->sumsq = sql;
	L->cnt = o->nleft;
	R->sum = sumr;
	R->sumsq = sqr;
	R->cnt = n - o->nleft;
}

/*
 * The sums and counts of the open nodes from one pass over every row in
 * order, as gbr_children adds them, for large fits: streaming the rows
 * beats gathering each node's, which reads every cache line of the
 * residuals once per node (up to 4 times a level at depth 3).
 */
static void
gbr_level_sums(struct gbr_open *open, int nopen, const uint8_t *nodeof,
    const double *res, size_t rows)
{
	int slot[64];

	for (int k = 0; k < 64; k++)
		slot[k] = -1;
	for (int k = 0; k < nopen; k++) {
		slot[open[k].node] = k;
		open[k].sum = open[k].sumsq = 0;
		open[k].cnt = 0;
	}
	for (size_t i = 0; i < rows; i++) {
		int s = nodeof[i] < 64 ? slot[nodeof[i]] : -1;

		if (s >= 0) {
			open[s].sum += res[i];
			open[s].sumsq += res[i] * res[i];
			open[s].cnt++;
		}
	}
}

/*
 * gbr_part out of place: the rows of a node's segment (s, v) into
 * (ds, dv), the nleft in node left first, both parts in their order.
 */
static void
gbr_part_copy(const uint32_t *s, const double *v, size_t n,
    const uint8_t *nodeof, int left, size_t nleft, uint32_t *ds, double *dv)
{
	size_t a = 0, b = nleft;

	for (size_t ii = 0; ii < n; ii++) {
		uint32_t r = s[ii];
		size_t l = nodeof[r] == left;
		/* Branch-free, as in gbr_part: k is a if l, else b. */
		size_t k = b ^ ((a ^ b) & -l);

		ds[k] = r;
		dv[k] = v[ii];
		a += l;
		b += 1 - l;
	}
}

/*
 * Undo gbr_part: the rows of s[0..mid) and s[mid..n) (with their values
 * v) back to the places they were read from, as its side bits tell.
 */
static void
gbr_unpart(uint32_t *s, double *v, size_t mid, size_t n,
    const uint64_t *side, size_t pos, uint32_t *ts, double *tv)
{
	size_t a = 0, b = mid;

	for (size_t ii = 0; ii < n; ii++) {
		size_t p = pos + ii;
		size_t l = side[p / 64] >> p % 64 & 1;
		/* Branch-free, as in gbr_part: k is a if l, else b. */
		size_t k = b ^ ((a ^ b) & -l);

		ts[ii] = s[k];
		tv[ii] = v[k];
		a += l;
		b += 1 - l;
	}
	memcpy(s, ts, n * sizeof(*s));
	memcpy(v, tv, n * sizeof(*v));
}

/*
 * X (rows x nf, row-major) rearranged in place into each feature's
 * values in its order sorted[f * rows ...], at X + f * rows, divided by
 * scale[f]: the permutation is followed cycle by cycle, a bit a value
 * marking those already placed, so the sorted values need no array of
 * their own beside the rows.
 */
static void
sort_in_place(double *X, const uint32_t *sorted, size_t rows, size_t nf,
    const double *scale)
{
	size_t n = rows * nf;
	uint64_t *placed = gf_xcalloc(n / 64 + 1, sizeof(*placed));

	for (size_t start = 0; start < n; start++) {
		double first = X[start];
		size_t d = start;

		if (placed[start / 64] >> start % 64 & 1)
			continue;
		for (;;) {
			size_t f = d / rows;
			size_t src = (size_t)sorted[d] * nf + f;

			placed[d / 64] |= UINT64_C(1) << d % 64;
			if (src == start) {
				X[d] = first;
				break;
			}
			X[d] = X[src];
			d = src;
		}
	}
	free(placed);
	for (size_t f = 0; f < nf; f++)
		for (size_t i = 0; i < rows; i++)
			X[f * rows + i] /= scale[f];
}

/*
 * Every feature's rows in ascending order into *sorted (nf * rows), and
 * their scaled values in that order into *sval: the caller's rows when
 * the fit owns them (*own == X, then taken), else a copy.
 */
static void
gbr_presort(const struct gf_model *m, const double *X, double **own,
    size_t rows, uint32_t **sorted, double **sval)
{
	size_t nf = m->nf;

	uint32_t *tmp = gf_xreallocarray(NULL, rows + 1, sizeof(*tmp));

	*sorted = gf_xreallocarray(NULL, nf * rows, sizeof(**sorted));
	for (size_t f = 0; f < nf; f++)
		gf_sort_rows(X + f, nf, *sorted + f * rows, tmp, rows);
	free(tmp);
	if (own != NULL && *own == X) {
		*sval = *own;
		*own = NULL;
	} else {
		*sval = gf_xreallocarray(NULL, nf * rows, sizeof(**sval));
		memcpy(*sval, X, nf * rows * sizeof(**sval));
	}
	sort_in_place(*sval, *sorted, rows, nf, m->scale);
}

/*
 * Every feature's rows are sorted once per fit (a constant target's not
 * at all, see below); within a tree, each open node owns the same
 * segment of every feature's order, which a split partitions stably, so
 * a node is scanned over its own rows in the order (value, then row) that
 * a scan of the whole sorted column filtered by node would visit them:
 * the same sums, the same splits. The partitions are undone, last first,
 * before the next tree, or made in a copy of the order that the next
 * tree makes again (small fits). A node's residual sums are added in row
 * order: in small fits from its parent's segment of the rows in
 * ascending order (rowseg, partitioned like the features), in large
 * ones by a pass over all rows per level (gbr_level_sums).
 */
int
gf_fit_gbr(struct gf_model *m, const double *X, double **own,
    const double *y, double **owny, size_t rows, struct gf_err *err)
{
	const int ntrees = 100, depth = 3;
	const double lr = 0.1;
	size_t nf = m->nf, nside = (nf * rows + 63) / 64 + 1;
	uint32_t *sorted, *ts, *ws = NULL, *rowseg;
	double *sval, *tv, *res, *wv = NULL;
	/*
	 * Small fits keep the sorted order as it is and partition a copy of
	 * it (ws, wv), which the next tree overwrites: no partition to undo,
	 * for 12 bytes a value more than the partitions in place.
	 */
	int copy = nf * rows <= gf_gbr_copy_max;
	/* a row's node in the tree being grown: at most 15 at depth 3 */
	uint8_t *nodeof;
	uint64_t *side;
	struct gbr_open open[8];
	struct {
		size_t begin, mid, end;
		int d;
	} undo[8];
	struct gf_forest fo = { NULL, 0, 0, NULL, 0 };
	double mean = 0;

	if (rows > UINT32_MAX)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "too many rows (%zu)", rows);
	/*
	 * A constant target's residuals stay equal to one another, so its
	 * trees are one leaf each and never scan the sorted rows (rapl core
	 * and uncore are all 0 on most machines): its sort waits for a
	 * first scan, which then does not come.
	 */
	int flat = 1;

	for (size_t i = 1; i < rows && flat; i++)
		flat = y[i] == y[0];
	sorted = NULL;
	sval = NULL;
	if (!flat)
		gbr_presort(m, X, own, rows, &sorted, &sval);
	/*
	 * The working arrays only once the rows are sorted: with a fold
	 * starting beside the fit, both at once were the peak. The
	 * residuals are all the fit needs of y and of its predictions: a
	 * tree's leaf value is taken off the residual of every row in the
	 * leaf, so neither y nor the predictions are kept.
	 */
	for (size_t i = 0; i < rows; i++)
		mean += y[i];
	mean /= (double)rows;
	m->base = mean;
	res = gf_xreallocarray(NULL, rows, sizeof(*res));
	for (size_t i = 0; i < rows; i++)
		res[i] = y[i] - mean;
	gf_release_rows(owny);
	ts = gf_xreallocarray(NULL, rows, sizeof(*ts));
	tv = gf_xreallocarray(NULL, rows, sizeof(*tv));
	nodeof = gf_xreallocarray(NULL, rows, sizeof(*nodeof));
	rowseg = copy ? gf_xreallocarray(NULL, rows, sizeof(*rowseg)) : NULL;
	side = copy ? NULL : gf_xcalloc(2 * nside, sizeof(*side));
	fo.off = gf_xcalloc((size_t)ntrees + 1, sizeof(*fo.off));
	for (int t = 0; t < ntrees; t++) {
		size_t start = fo.n;
		int nopen = 0, nundo = 0;
		double sum = 0, sumsq = 0;

		for (size_t i = 0; i < rows; i++) {
			nodeof[i] = 0;
			if (rowseg != NULL)
				rowseg[i] = (uint32_t)i;
			sum += res[i];
			sumsq += res[i] * res[i];
		}
		gf_forest_add(&fo, start);
		open[0].node = 0;
		open[0].begin = 0;
		open[0].end = rows;
		open[0].sum = sum;
		open[0].sumsq = sumsq;
		open[0].cnt = rows;
		nopen = 1;
		for (int d = 0; d <= depth && nopen > 0; d++) {
			/* The order this level's segments are in. */
			const uint32_t *lev_s = copy && d > 0 ? ws : sorted;
			const double *lev_v = copy && d > 0 ? wv : sval;

			if (!copy && d > 0)
				gbr_level_sums(open, nopen, nodeof, res, rows);
			for (int k = 0; k < nopen; k++) {
				open[k].best = 0;
				open[k].bf = -1;
				open[k].nosplit = 0;
			}
			for (int k = 0; k < nopen && d < depth; k++) {
				struct gbr_open *o = &open[k];
				double mu = o->sum / (double)o->cnt;
				double imp = o->sumsq / (double)o->cnt -
				    mu * mu;

				/* Pure or single-row nodes stay leaves. */
				if (o->cnt < 2 || imp <= 1e-12 * (1 + mu * mu))
					o->nosplit = 1;
			}
			for (int k = 0; k < nopen && d < depth; k++) {
				struct gbr_open *o = &open[k];

				if (o->nosplit)
					continue;
				if (sorted == NULL) {
					gbr_presort(m, X, own, rows, &sorted,
					    &sval);
					lev_s = sorted;
					lev_v = sval;
				}
				for (size_t f = 0; f < nf; f++) {
					size_t b = f * rows + o->begin;

					gbr_scan(o, (int)f, lev_s + b,
					    lev_v + b, o->end - o->begin, res);
				}
			}
			/* Split or make leaves; collect the next level. */
			struct gbr_open next[8];
			int nnext = 0;

			for (int k = 0; k < nopen; k++) {
				struct gbr_open *o = &open[k];
				struct gf_tnode *nd;
				int l, r;

				o->child = -1;
				if (d == depth || o->nosplit || o->bf < 0 ||
				    o->best <= 0) {
					fo.nodes[start +
					    (size_t)o->node].value =
					    o->cnt ? lr * o->sum /
					    (double)o->cnt : 0;
					continue;
				}
				l = gf_forest_add(&fo, start);
				r = gf_forest_add(&fo, start);
				nd = &fo.nodes[start + (size_t)o->node];
				nd->feature = o->bf;
				nd->thr = o->thr;
				nd->left = l;
				nd->right = r;
				o->child = nnext;
				next[nnext++].node = l;
				next[nnext++].node = r;
			}
			/*
			 * Move every row of a split node to its child: its
			 * segment of the split feature's order holds the
			 * scaled values x / scale that prediction compares,
			 * ascending, without a division per row.
			 */
			for (int k = 0; k < nopen; k++) {
				struct gbr_open *o = &open[k];
				const struct gf_tnode *nd;
				size_t b, nleft = 0;

				if (o->child < 0)
					continue;
				nd = &fo.nodes[start + (size_t)o->node];
				b = (size_t)nd->feature * rows + o->begin;
				for (size_t ii = b; ii < b + o->end - o->begin;
				    ii++) {
					int l = lev_v[ii] <= nd->thr;

					nodeof[lev_s[ii]] = (uint8_t)(l ?
					    nd->left : nd->right);
					nleft += (size_t)l;
				}
				o->nleft = nleft;
			}
			/*
			 * The children's sums, and their segments if they
			 * will be scanned.
			 */
			for (int k = 0; k < nopen; k++) {
				struct gbr_open *o = &open[k];
				struct gbr_open *L, *R;
				size_t n = o->end - o->begin;

				if (o->child < 0)
					continue;
				L = &next[o->child];
				R = &next[o->child + 1];
				if (copy)
					gbr_children(o, L, R, rowseg, nodeof,
					    res, d + 1 < depth, ts);
				if (d + 1 == depth)
					continue;
				if (copy && ws == NULL) {
					ws = gf_xreallocarray(NULL, nf * rows,
					    sizeof(*ws));
					wv = gf_xreallocarray(NULL, nf * rows,
					    sizeof(*wv));
				}
				for (size_t f = 0; f < nf; f++) {
					size_t b = f * rows + o->begin;

					if (copy && d == 0)
						gbr_part_copy(sorted + b,
						    sval + b, n, nodeof,
						    L->node, o->nleft, ws + b,
						    wv + b);
					else if (copy)
						gbr_part(ws + b, wv + b, n,
						    nodeof, L->node, ts, tv,
						    NULL, 0);
					else
						gbr_part(sorted + b, sval + b,
						    n, nodeof, L->node, ts, tv,
						    side + (size_t)d * nside,
						    b);
				}
				if (!copy) {
					undo[nundo].begin = o->begin;
					undo[nundo].mid = o->begin + o->nleft;
					undo[nundo].d = d;
					undo[nundo++].end = o->end;
				}
				L->begin = o->begin;
				L->end = o->begin + o->nleft;
				R->begin = o->begin + o->nleft;
				R->end = o->end;
			}
			memcpy(open, next, (size_t)nnext * sizeof(*next));
			nopen = nnext;
		}
		while (nundo-- > 0)
			for (size_t f = 0; f < nf; f++) {
				size_t b = f * rows + undo[nundo].begin;

				gbr_unpart(sorted + b, sval + b,
				    undo[nundo].mid - undo[nundo].begin,
				    undo[nundo].end - undo[nundo].begin,
				    side + (size_t)undo[nundo].d * nside, b,
				    ts, tv);
			}
		for (size_t i = 0; i < rows; i++)
			res[i] -= fo.nodes[start + (size_t)nodeof[i]].value;
		fo.ntrees++;
		fo.off[fo.ntrees] = fo.n;
	}
	gf_forest_done(m, &fo);
	if (sorted == NULL && own != NULL && *own == X)
		gf_release_rows(own);
	free(sorted);
	free(sval);
	free(ws);
	free(wv);
	free(ts);
	free(tv);
	free(res);
	free(nodeof);
	free(rowseg);
	free(side);
	return 0;
}
