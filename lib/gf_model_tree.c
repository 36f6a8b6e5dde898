/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tree ensembles: sklearn's GradientBoostingRegressor (exact greedy
 * splits, Friedman MSE) and an xgboost-style histogram booster for
 * XgboostFitTrainer.
 *
 * Both see scaled values x / scale computed on the fly (no scaled copy of
 * X), and store thresholds in scaled units: a row goes left when
 * xs <= thr, at training and at prediction time alike.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Growing list of nodes for all trees. */
struct forest {
	struct gf_tnode *nodes;
	size_t n, cap;
	size_t *off;
	size_t ntrees;
};

static int
forest_add(struct forest *f, size_t tree_start)
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

static void
forest_done(struct gf_model *m, struct forest *f)
{
	m->nodes = f->nodes;
	m->off = f->off;
	m->ntrees = f->ntrees;
}

/* ---- GradientBoostingRegressor(n_estimators=100, max_depth=3, lr 0.1) ---- */

size_t gf_gbr_copy_max = (size_t)1 << 19;

/*
 * Doubles as unsigned keys in the same order (-0 taken as +0), so that
 * they sort by radix: GradientBoosting's rows by each feature, and
 * XGBoost's cut sample (up to 2^20 values per feature and fit), where
 * qsort's comparisons cost more than the whole histogram build.
 */
static uint64_t
dkey(double d)
{
	uint64_t u;

	if (d == 0)
		d = 0;
	memcpy(&u, &d, sizeof(u));
	return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static double
dval(uint64_t k)
{
	uint64_t u = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/*
 * LSD radix sorts (gf_sort_rows, sort_keys) take 16 bits a pass, 8 below
 * 4,096 keys, where clearing 65,536 counters would cost more than the
 * keys.
 */
static int
radix_bits(size_t n)
{
	return n < 4096 ? 8 : 16;
}

/*
 * A pass's digit counts (nd of them, n keys) made into where each digit's
 * keys start; 0 when every key has digit d0, a pass that moves nothing.
 */
static int
radix_offsets(size_t *cnt, size_t nd, size_t d0, size_t n)
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
gf_sort_rows(const double *col, size_t stride, uint32_t *s, uint32_t *tmp,
    size_t n)
{
	int bits = radix_bits(n);
	size_t nd = (size_t)1 << bits, mask = nd - 1;
	size_t *cnt = gf_xreallocarray(NULL, nd, sizeof(*cnt));
	uint32_t *a = s, *b = tmp, *t;

	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)i;
	for (int sh = 0; sh < 64 && n > 0; sh += bits) {
		/* Counting needs no order: the column front to back. */
		memset(cnt, 0, nd * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(dkey(col[i * stride]) >> sh) & mask]++;
		if (!radix_offsets(cnt, nd, (dkey(col[0]) >> sh) & mask, n))
			continue;
		for (size_t i = 0; i < n; i++) {
			uint32_t r = a[i];

			b[cnt[(dkey(col[(size_t)r * stride]) >> sh) & mask]++] =
			    r;
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

/* See gf_fit_gbr's declaration: the caller's rows, once sorted or binned. */
static void
release_rows(double **own)
{
	if (own != NULL) {
		free(*own);
		*own = NULL;
	}
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
	struct forest fo = { NULL, 0, 0, NULL, 0 };
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
	release_rows(owny);
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
		forest_add(&fo, start);
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
				l = forest_add(&fo, start);
				r = forest_add(&fo, start);
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
	forest_done(m, &fo);
	if (sorted == NULL && own != NULL && *own == X)
		release_rows(own);
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

/* ---- XgboostFitTrainer: histogram gradient boosting ----
 *
 * XGBRegressor(n_estimators=100, learning_rate=0.1) with xgboost's other
 * defaults: squared error, max_depth 6, lambda 1, gamma 0,
 * min_child_weight 1, max_bin 256, base_score = mean(y) (xgboost >= 2.0).
 * Features are binned once into uint8 codes (row-major, so the rows of a
 * node share cache lines); each node owns a contiguous segment of one row
 * index array, which its split partitions stably; the smaller child's
 * histogram is built and the larger one's is the parent's minus it; leaf
 * values are added to the predictions through the segments, without
 * walking the tree. Trees grow level by level: per level, one pass over a
 * thread pool partitions every split node and one builds every smaller
 * child's histogram, so threads meet twice per level, not per node.
 */

#define XGB_BINS 256
#define XGB_MAX_DEPTH 6
#define XGB_MIN_PAR 16384	/* rows below which one thread builds */
#define XGB_PARTS 8		/* fixed split of larger histogram builds */
/*
 * Rows up to which a node's histogram is a list of its non-empty bins:
 * below this, zeroing, subtracting and scanning nf * 256 dense bins per
 * node cost more than the rows themselves (most nodes of a depth-6 tree
 * on a few thousand rows hold a few dozen rows).
 */
#define XGB_SPARSE 64

struct hbin {
	double g, h;
};

typedef void (*pool_fn)(void *arg, int id, int n);

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	int n;			/* threads including the caller */
	unsigned gen;
	int pending, quit;
	pool_fn fn;
	void *arg;
	pthread_t *th;
};

struct pool_start {
	struct pool *p;
	int id;
};

static void *
pool_main(void *a)
{
	struct pool_start *s = a;
	struct pool *p = s->p;
	int id = s->id;
	unsigned seen = 0;

	free(s);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		p->fn(p->arg, id, p->n);
		pthread_mutex_lock(&p->mu);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
pool_init(struct pool *p, int n)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->n = 1;
	p->th = gf_xcalloc((size_t)(n > 1 ? n : 1), sizeof(*p->th));
	for (int i = 1; i < n; i++) {
		struct pool_start *s = gf_xmalloc(sizeof(*s));

		s->p = p;
		s->id = i;
		if (pthread_create(&p->th[i], NULL, pool_main, s) != 0) {
			free(s);
			break;	/* fewer threads: slower, still correct */
		}
		p->n++;
	}
}

static void
pool_run(struct pool *p, pool_fn fn, void *arg)
{
	if (p->n == 1) {
		fn(arg, 0, 1);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->pending = p->n - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	fn(arg, 0, p->n);
	pthread_mutex_lock(&p->mu);
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static void
pool_destroy(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->th[i], NULL);
	free(p->th);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
}

/* A bin of a sparse histogram: feature * XGB_BINS + bin, and sums. */
struct sbin {
	size_t fb;
	double g, h;
};

struct xnode {
	int node;		/* index in the current tree */
	size_t begin, end;	/* segment of the row index */
	struct hbin *hist;	/* owned, dense; or NULL and: */
	struct sbin *sp;	/* owned, the bins that may be non-zero */
	size_t nsp;
	double G, H;
	int bf, bb;		/* split feature and bin, bf < 0: a leaf */
	size_t mid;		/* after partitioning: first right row */
	double w;		/* leaf value */
};

/* A histogram to build: rows seg[0..n) cut into nparts fixed parts. */
struct htask {
	const uint32_t *seg;
	size_t n;
	int nparts;
	struct hbin *out;
	struct hbin *parts;	/* nparts * hlen, when nparts > 1 */
};

struct xgb {
	size_t rows, nf, hlen;
	uint8_t *bins;		/* rows * nf, row-major */
	double *cuts;		/* nf * XGB_BINS upper bounds (scaled) */
	int *nbins;		/* per feature */
	double *g;		/* gradients */
	double *pred;
	uint32_t *idx, *tmp;
	const double *X, *y, *scale;
	struct pool pool;
	int job;		/* what a row-range job does */
	/* level jobs, shared out by an atomic counter */
	struct xnode *lv;
	int nlv;
	struct htask *tasks;
	int ntasks;
	int *unit_task, *unit_part;
	int nunits;
	atomic_int next;
};

/* LSD radix (radix_bits); returns a or b, whichever ends sorted. */
static uint64_t *
sort_keys(uint64_t *a, uint64_t *b, size_t n)
{
	int bits = radix_bits(n);
	size_t nd = (size_t)1 << bits, mask = nd - 1;
	size_t *cnt = gf_xreallocarray(NULL, nd, sizeof(*cnt));
	uint64_t *t;

	for (int sh = 0; sh < 64 && n > 0; sh += bits) {
		memset(cnt, 0, nd * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(a[i] >> sh) & mask]++;
		if (!radix_offsets(cnt, nd, (a[0] >> sh) & mask, n))
			continue;
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i] >> sh) & mask]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	free(cnt);
	return a;
}

/*
 * Cut points per feature from a strided sample of at most 2^20 rows
 * (all of them up to 10^6 rows: a 2^18 sample put the cuts far enough
 * from the data's quantiles to cost 3 % of MAE against xgboost there):
 * every distinct value when there are at most 256, else 256 quantiles.
 * Values are handled as dkey keys: two arrays of the sample's size.
 */
static void
make_cuts(struct xgb *x, const double *X, const double *scale)
{
	size_t rows = x->rows, nf = x->nf;
	size_t ns = rows < (1u << 20) ? rows : (1u << 20);
	uint64_t *ka = gf_xreallocarray(NULL, ns, sizeof(*ka));
	uint64_t *kb = gf_xreallocarray(NULL, ns, sizeof(*kb));

	for (size_t f = 0; f < nf; f++) {
		size_t nu = 0;
		double *c = x->cuts + f * XGB_BINS;
		int nb = 0;
		uint64_t *v, *u;

		for (size_t k = 0; k < ns; k++) {
			size_t i = rows == ns ? k : (size_t)((double)k *
			    (double)rows / (double)ns);

			ka[k] = dkey(X[i * nf + f] / scale[f]);
		}
		v = sort_keys(ka, kb, ns);
		u = v == ka ? kb : ka;
		for (size_t k = 0; k < ns; k++)
			if (k == 0 || v[k] != v[k - 1])
				u[nu++] = v[k];
		/*
		 * Bin b holds the values <= c[b]. With more than 256 distinct
		 * values the bins are quantiles of the rows, as xgboost's
		 * sketch makes them (a value shared by many rows gets a bin
		 * of its own); cuts sit midway between neighbouring distinct
		 * values, as sklearn's thresholds do.
		 */
		for (int b = 0; b < XGB_BINS; b++) {
			size_t k, lo = 0, hi = nu - 1;
			double cut, uk, uk1;

			if (nu <= XGB_BINS) {
				k = (size_t)b;
			} else {
				uint64_t q = v[(size_t)(((double)(b + 1) *
				    (double)ns) / XGB_BINS) - 1];

				while (lo < hi) {
					size_t mid = (lo + hi) / 2;

					if (u[mid] < q)
						lo = mid + 1;
					else
						hi = mid;
				}
				k = lo;
			}
			if (k + 1 >= nu)
				break;
			uk = dval(u[k]);
			uk1 = dval(u[k + 1]);
			cut = uk / 2 + uk1 / 2;
			if (cut >= uk1 || cut < uk)
				cut = uk;
			if (nb == 0 || cut > c[nb - 1])
				c[nb++] = cut;
		}
		c[nb++] = INFINITY;
		x->nbins[f] = nb;
	}
	free(ka);
	free(kb);
}

static void
hist_rows(const struct xgb *x, const uint32_t *seg, size_t n,
    struct hbin *h)
{
	size_t nf = x->nf;

	memset(h, 0, x->hlen * sizeof(*h));
	for (size_t i = 0; i < n; i++) {
		uint32_t r = seg[i];
		const uint8_t *b = x->bins + (size_t)r * nf;
		double g = x->g[r];

		for (size_t f = 0; f < nf; f++) {
			struct hbin *e = &h[f * XGB_BINS + b[f]];

			e->g += g;
			e->h += 1;
		}
	}
}

/*
 * Every row range job: binning (job 0) and gradients (job 1), split by
 * rows; each row is written by one thread only.
 */
static void
rows_job(void *arg, int id, int n)
{
	struct xgb *x = arg;
	size_t lo = x->rows * (size_t)id / (size_t)n;
	size_t hi = x->rows * (size_t)(id + 1) / (size_t)n;
	size_t nf = x->nf;

	if (x->job == 1) {
		for (size_t i = lo; i < hi; i++)
			x->g[i] = x->pred[i] - x->y[i];
		return;
	}
	for (size_t i = lo; i < hi; i++)
		for (size_t f = 0; f < nf; f++) {
			double v = x->X[i * nf + f] / x->scale[f];
			const double *c = x->cuts + f * XGB_BINS;
			int a = 0, b = x->nbins[f] - 1;

			while (a < b) {
				int mid = (a + b) / 2;

				if (v <= c[mid])
					b = mid;
				else
					a = mid + 1;
			}
			x->bins[i * nf + f] = (uint8_t)a;
		}
}

/*
 * Level job A, one node at a time: a leaf adds its value to its rows'
 * predictions; a split partitions its segment, stably, so each node's
 * rows stay in ascending order and later passes read bins and gradients
 * front to back. Nodes own disjoint segments of idx and tmp.
 */
static void
nodes_job(void *arg, int id, int n)
{
	struct xgb *x = arg;
	size_t nf = x->nf;
	int k;

	(void)id;
	(void)n;
	while ((k = atomic_fetch_add(&x->next, 1)) < x->nlv) {
		struct xnode *nd = &x->lv[k];

		if (nd->bf < 0) {
			for (size_t i = nd->begin; i < nd->end; i++)
				x->pred[x->idx[i]] += nd->w;
			continue;
		}
		size_t a = nd->begin, nr = 0, bf = (size_t)nd->bf;
		uint32_t *idx = x->idx, *tmp = x->tmp + nd->begin;

		for (size_t i = nd->begin; i < nd->end; i++) {
			uint32_t row = idx[i];
			size_t left = x->bins[(size_t)row * nf + bf] <= nd->bb;

			/* Branch-free: the split is unpredictable. */
			idx[a] = row;
			tmp[nr] = row;
			a += left;
			nr += 1 - left;
		}
		memcpy(idx + a, tmp, nr * sizeof(*tmp));
		nd->mid = a;
	}
}

/* Level job B: histogram parts of every task of the level. */
static void
hist_job(void *arg, int id, int n)
{
	struct xgb *x = arg;
	int u;

	(void)id;
	(void)n;
	while ((u = atomic_fetch_add(&x->next, 1)) < x->nunits) {
		struct htask *t = &x->tasks[x->unit_task[u]];
		int p = x->unit_part[u];

		if (t->nparts == 1) {
			hist_rows(x, t->seg, t->n, t->out);
			continue;
		}
		size_t lo = t->n * (size_t)p / (size_t)t->nparts;
		size_t hi = t->n * (size_t)(p + 1) / (size_t)t->nparts;

		hist_rows(x, t->seg + lo, hi - lo,
		    t->parts + (size_t)p * x->hlen);
	}
}

/*
 * Build the histograms of ntasks tasks in one parallel pass. A large
 * segment is cut into a number of parts that depends on its size only,
 * and the parts are summed in order: the sums, hence the trees, are the
 * same whatever the number of threads.
 */
static void
build_hists(struct xgb *x, struct htask *tasks, int ntasks)
{
	int nu = 0;

	for (int t = 0; t < ntasks; t++) {
		size_t np = tasks[t].n / XGB_MIN_PAR;

		tasks[t].nparts = np < 2 ? 1 : np > XGB_PARTS ? XGB_PARTS :
		    (int)np;
		tasks[t].parts = tasks[t].nparts > 1 ? gf_xreallocarray(NULL,
		    (size_t)tasks[t].nparts * x->hlen, sizeof(struct hbin)) :
		    NULL;
		nu += tasks[t].nparts;
	}
	x->unit_task = gf_xreallocarray(x->unit_task, (size_t)nu + 1,
	    sizeof(int));
	x->unit_part = gf_xreallocarray(x->unit_part, (size_t)nu + 1,
	    sizeof(int));
	nu = 0;
	/* Big tasks first, so that no thread starts one last. */
	for (int t = 0; t < ntasks; t++)
		for (int p = 0; p < tasks[t].nparts; p++) {
			x->unit_task[nu] = t;
			x->unit_part[nu++] = p;
		}
	x->tasks = tasks;
	x->ntasks = ntasks;
	x->nunits = nu;
	atomic_store(&x->next, 0);
	if (nu == 1 || x->rows < XGB_MIN_PAR)
		hist_job(x, 0, 1);
	else
		pool_run(&x->pool, hist_job, x);
	for (int t = 0; t < ntasks; t++) {
		struct htask *k = &tasks[t];

		if (k->nparts == 1)
			continue;
		memcpy(k->out, k->parts, x->hlen * sizeof(*k->out));
		for (int p = 1; p < k->nparts; p++) {
			const struct hbin *h = k->parts + (size_t)p * x->hlen;

			for (size_t i = 0; i < x->hlen; i++) {
				k->out[i].g += h[i].g;
				k->out[i].h += h[i].h;
			}
		}
		free(k->parts);
		k->parts = NULL;
	}
}

/*
 * The sparse histogram of rows seg[0..n) over the first nfeat features,
 * in (feature, bin) order. Each bin sums its rows in the order hist_rows
 * does, so every bin holds the value the dense histogram would; the bins
 * left out are the dense histogram's zeros, whose sums change nothing.
 */
static size_t
sparse_rows(const struct xgb *x, const uint32_t *seg, size_t n,
    size_t nfeat, struct sbin *out)
{
	struct hbin acc[XGB_BINS];
	uint64_t seen[XGB_BINS / 64];
	size_t k = 0, nf = x->nf;

	for (size_t f = 0; f < nfeat; f++) {
		memset(seen, 0, sizeof(seen));
		for (size_t i = 0; i < n; i++) {
			uint32_t r = seg[i];
			unsigned b = x->bins[(size_t)r * nf + f];

			if (!(seen[b / 64] >> (b % 64) & 1)) {
				seen[b / 64] |= UINT64_C(1) << (b % 64);
				acc[b].g = 0;
				acc[b].h = 0;
			}
			acc[b].g += x->g[r];
			acc[b].h += 1;
		}
		for (unsigned w = 0; w < XGB_BINS / 64; w++)
			for (unsigned t = 0; seen[w] != 0; t++, seen[w] >>= 1) {
				unsigned b = w * 64 + t;

				if (!(seen[w] & 1))
					continue;
				out[k].fb = f * XGB_BINS + b;
				out[k].g = acc[b].g;
				out[k++].h = acc[b].h;
			}
	}
	return k;
}

/* The non-zero bins of a dense histogram, in order; frees it. */
static void
to_sparse(const struct xgb *x, struct xnode *nd)
{
	size_t k = 0;

	for (size_t i = 0; i < x->hlen; i++)
		k += nd->hist[i].g != 0 || nd->hist[i].h != 0;
	nd->sp = gf_xreallocarray(NULL, k ? k : 1, sizeof(*nd->sp));
	k = 0;
	for (size_t i = 0; i < x->hlen; i++)
		if (nd->hist[i].g != 0 || nd->hist[i].h != 0) {
			nd->sp[k].fb = i;
			nd->sp[k].g = nd->hist[i].g;
			nd->sp[k++].h = nd->hist[i].h;
		}
	nd->nsp = k;
	free(nd->hist);
	nd->hist = NULL;
}

/*
 * Parent minus child, in place in the parent's list: the child's rows
 * are the parent's, so its bins are among the parent's.
 */
static void
sparse_sub(struct sbin *p, size_t np, const struct sbin *c, size_t nc)
{
	for (size_t i = 0, j = 0; i < np && j < nc; i++)
		if (p[i].fb == c[j].fb) {
			p[i].g -= c[j].g;
			p[i].h -= c[j].h;
			j++;
		}
}

/*
 * xgboost's gain of splitting nd after bin b of feature f; keeps the best.
 *
 * The gain's two divisions were the booster's costliest work. The test
 * gain > best is first made without them, multiplied out by the two
 * positive denominators: a split whose products stay below by more than
 * 1e-12 of their size, far beyond the rounding of either form, cannot
 * win, and every split that can is still decided by the exact expression.
 */
static inline void
consider_split(struct xnode *nd, size_t f, int b, double gl, double hl,
    double parent, double *best)
{
	const double lambda = 1.0;
	double gr = nd->G - gl, hr = nd->H - hl;
	double dl = hl + lambda, dr = hr + lambda;

	if ((gl * gl * dr + gr * gr * dl) * (1 + 1e-12) <=
	    (*best + parent) * dl * dr)
		return;
	double gain = gl * gl / dl + gr * gr / dr - parent;

	if (gain > *best) {
		*best = gain;
		nd->bf = (int)f;
		nd->bb = b;
	}
}

/* Best split on a sparse histogram, as best_split on the dense one. */
static void
best_split_sparse(const struct xgb *x, struct xnode *nd)
{
	const double lambda = 1.0, min_child = 1.0, rt_eps = 1e-6;
	double G = nd->G, H = nd->H, parent = G * G / (H + lambda);
	double best = rt_eps;

	for (size_t k = 0; k < nd->nsp;) {
		size_t f = nd->sp[k].fb / XGB_BINS;
		double gl = 0, hl = 0;

		for (; k < nd->nsp && nd->sp[k].fb / XGB_BINS == f; k++) {
			const struct sbin *e = &nd->sp[k];
			int b = (int)(e->fb % XGB_BINS);

			gl += e->g;
			hl += e->h;
			if (b + 1 >= x->nbins[f] || e->h == 0 ||
			    hl < min_child || H - hl < min_child)
				continue;
			consider_split(nd, f, b, gl, hl, parent, &best);
		}
	}
}

/* Best split of a node by xgboost's gain; bf = -1 when none gains. */
static void
best_split(const struct xgb *x, struct xnode *nd, int depth)
{
	const double lambda = 1.0, min_child = 1.0, rt_eps = 1e-6;
	double G = nd->G, H = nd->H, parent = G * G / (H + lambda);
	double best = rt_eps;

	nd->bf = -1;
	nd->bb = -1;
	if (depth >= XGB_MAX_DEPTH)
		return;
	if (nd->hist == NULL) {
		best_split_sparse(x, nd);
		return;
	}
	for (size_t f = 0; f < x->nf; f++) {
		const struct hbin *h = nd->hist + f * XGB_BINS;
		double gl = 0, hl = 0;

		for (int b = 0; b + 1 < x->nbins[f]; b++) {
			gl += h[b].g;
			hl += h[b].h;

			/*
			 * An empty bin (h counts rows, so exactly 0) moves no
			 * row: its split is the previous bin's. Most bins of
			 * a deep node are empty, and the gain's two divisions
			 * are the booster's costliest work on small tables.
			 */
			if (h[b].h == 0 || hl < min_child || H - hl < min_child)
				continue;
			consider_split(nd, f, b, gl, hl, parent, &best);
		}
	}
}

static void
hist_totals(const struct hbin *h, double *G, double *H)
{
	*G = *H = 0;
	for (int b = 0; b < XGB_BINS; b++) {
		*G += h[b].g;
		*H += h[b].h;
	}
}

/* hist_totals of a sparse histogram: its first feature's bins. */
static void
sparse_totals(const struct sbin *sp, size_t n, double *G, double *H)
{
	*G = *H = 0;
	for (size_t k = 0; k < n && sp[k].fb < XGB_BINS; k++) {
		*G += sp[k].g;
		*H += sp[k].h;
	}
}

int
gf_fit_xgb(struct gf_model *m, const double *X, double **own,
    const double *y, size_t rows, int threads, struct gf_err *err)
{
	const int ntrees = 100;
	const double eta = 0.1, lambda = 1.0;
	size_t nf = m->nf, maxnodes = (size_t)1 << XGB_MAX_DEPTH;
	struct xgb x;
	struct forest fo = { NULL, 0, 0, NULL, 0 };
	struct xnode *level, *next;
	struct htask *tasks;
	double mean = 0;

	if (rows > UINT32_MAX)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "too many rows (%zu)", rows);
	memset(&x, 0, sizeof(x));
	x.rows = rows;
	x.nf = nf;
	x.hlen = nf * XGB_BINS;
	x.cuts = gf_xreallocarray(NULL, x.hlen, sizeof(*x.cuts));
	x.nbins = gf_xcalloc(nf, sizeof(*x.nbins));
	x.g = gf_xreallocarray(NULL, rows, sizeof(*x.g));
	x.pred = gf_xreallocarray(NULL, rows, sizeof(*x.pred));
	x.bins = gf_xreallocarray(NULL, rows * nf, sizeof(*x.bins));
	x.idx = gf_xreallocarray(NULL, rows, sizeof(*x.idx));
	x.tmp = gf_xreallocarray(NULL, rows, sizeof(*x.tmp));
	x.X = X;
	x.y = y;
	x.scale = m->scale;
	pool_init(&x.pool, rows < XGB_MIN_PAR ? 1 : threads);
	for (size_t i = 0; i < rows; i++)
		mean += y[i];
	mean /= (double)rows;
	/*
	 * Every row at the mean (a constant target: rapl core and uncore
	 * are all 0 on most machines): every gradient is 0 in every tree,
	 * so each tree is its root, a leaf of weight -0/(H + lambda) eta,
	 * and the predictions never move. Neither cuts nor bins are needed.
	 */
	int flat = 1;

	for (size_t i = 0; i < rows && flat; i++)
		flat = y[i] == mean;
	if (!flat) {
		make_cuts(&x, X, m->scale);
		x.job = 0;
		pool_run(&x.pool, rows_job, &x);
	}
	x.X = NULL;
	release_rows(own);
	m->base = mean;
	for (size_t i = 0; i < rows; i++)
		x.pred[i] = mean;
	level = gf_xcalloc(maxnodes, sizeof(*level));
	next = gf_xcalloc(maxnodes, sizeof(*next));
	tasks = gf_xcalloc(maxnodes, sizeof(*tasks));
	fo.off = gf_xcalloc((size_t)ntrees + 1, sizeof(*fo.off));
	for (int t = 0; t < ntrees; t++) {
		size_t start = fo.n;
		int nlevel = 1;

		if (flat) {
			double G = 0, H = (double)rows;

			forest_add(&fo, start);
			fo.nodes[start].value = -G / (H + lambda) * eta;
			fo.ntrees++;
			fo.off[fo.ntrees] = fo.n;
			continue;
		}
		x.job = 1;
		pool_run(&x.pool, rows_job, &x);
		for (size_t i = 0; i < rows; i++)
			x.idx[i] = (uint32_t)i;
		forest_add(&fo, start);
		level[0].node = 0;
		level[0].begin = 0;
		level[0].end = rows;
		level[0].hist = gf_xreallocarray(NULL, x.hlen,
		    sizeof(*level[0].hist));
		tasks[0].seg = x.idx;
		tasks[0].n = rows;
		tasks[0].out = level[0].hist;
		build_hists(&x, tasks, 1);
		hist_totals(level[0].hist, &level[0].G, &level[0].H);
		for (int d = 0; nlevel > 0; d++) {
			int nnext = 0, ntasks = 0;

			for (int k = 0; k < nlevel; k++) {
				struct xnode *nd = &level[k];
				struct gf_tnode *tn;

				best_split(&x, nd, d);
				tn = &fo.nodes[start + (size_t)nd->node];
				if (nd->bf < 0) {
					nd->w = -nd->G / (nd->H + lambda) * eta;
					tn->value = nd->w;
					continue;
				}
				int l = forest_add(&fo, start);
				int r = forest_add(&fo, start);

				tn = &fo.nodes[start + (size_t)nd->node];
				tn->feature = nd->bf;
				tn->thr = x.cuts[(size_t)nd->bf * XGB_BINS +
				    (size_t)nd->bb];
				tn->left = l;
				tn->right = r;
			}
			x.lv = level;
			x.nlv = nlevel;
			atomic_store(&x.next, 0);
			if (x.pool.n > 1 && rows >= XGB_MIN_PAR)
				pool_run(&x.pool, nodes_job, &x);
			else
				nodes_job(&x, 0, 1);
			for (int k = 0; k < nlevel; k++) {
				struct xnode *nd = &level[k];

				if (nd->bf < 0) {
					free(nd->hist);
					free(nd->sp);
					nd->hist = NULL;
					nd->sp = NULL;
					continue;
				}
				const struct gf_tnode *tn = &fo.nodes[start +
				    (size_t)nd->node];
				size_t a = nd->mid;

				struct xnode *L = &next[nnext++];
				struct xnode *R = &next[nnext++];

				L->node = tn->left;
				L->begin = nd->begin;
				L->end = a;
				R->node = tn->right;
				R->begin = a;
				R->end = nd->end;
				struct xnode *small = L->end - L->begin <=
				    R->end - R->begin ? L : R;
				size_t ns = small->end - small->begin;

				/*
				 * Children at the last depth are leaves: only
				 * their totals are needed, from the first
				 * feature's bins, summed as hist_totals does.
				 */
				if (d + 1 >= XGB_MAX_DEPTH ||
				    ns <= XGB_SPARSE) {
					size_t nfeat = d + 1 >= XGB_MAX_DEPTH ?
					    1 : nf;

					small->sp = gf_xreallocarray(NULL,
					    ns * nfeat + 1, sizeof(*small->sp));
					small->nsp = sparse_rows(&x, x.idx +
					    small->begin, ns, nfeat, small->sp);
					continue;
				}
				small->hist = gf_xreallocarray(NULL, x.hlen,
				    sizeof(*small->hist));
				tasks[ntasks].seg = x.idx + small->begin;
				tasks[ntasks].n = ns;
				tasks[ntasks].out = small->hist;
				ntasks++;
			}
			build_hists(&x, tasks, ntasks);
			/* The larger child is the parent minus the smaller. */
			for (int k = 0, c = 0; k < nlevel; k++) {
				struct xnode *nd = &level[k];

				if (nd->bf < 0)
					continue;
				struct xnode *L = &next[c++];
				struct xnode *R = &next[c++];
				struct xnode *small = L->hist || L->sp ? L : R;
				struct xnode *big = small == L ? R : L;

				if (small->hist)
					hist_totals(small->hist, &small->G,
					    &small->H);
				else
					sparse_totals(small->sp, small->nsp,
					    &small->G, &small->H);
				big->G = nd->G - small->G;
				big->H = nd->H - small->H;
				if (d + 1 >= XGB_MAX_DEPTH) {
					/* Leaves next: no histograms. */
					free(nd->hist);
					free(nd->sp);
					free(small->sp);
					nd->hist = NULL;
					nd->sp = NULL;
					small->sp = NULL;
					continue;
				}
				if (nd->hist == NULL) {
					big->sp = nd->sp;
					big->nsp = nd->nsp;
					nd->sp = NULL;
					sparse_sub(big->sp, big->nsp, small->sp,
					    small->nsp);
					continue;
				}
				big->hist = nd->hist;
				nd->hist = NULL;
				if (small->hist)
					for (size_t i = 0; i < x.hlen; i++) {
						big->hist[i].g -=
						    small->hist[i].g;
						big->hist[i].h -=
						    small->hist[i].h;
					}
				else
					for (size_t e = 0; e < small->nsp;
					    e++) {
						struct hbin *h = &big->hist[
						    small->sp[e].fb];

						h->g -= small->sp[e].g;
						h->h -= small->sp[e].h;
					}
				if (big->end - big->begin <= XGB_SPARSE)
					to_sparse(&x, big);
			}
			struct xnode *swap = level;

			level = next;
			next = swap;
			memset(next, 0, maxnodes * sizeof(*next));
			nlevel = nnext;
		}
		fo.ntrees++;
		fo.off[fo.ntrees] = fo.n;
	}
	forest_done(m, &fo);
	pool_destroy(&x.pool);
	free(level);
	free(next);
	free(tasks);
	free(x.unit_task);
	free(x.unit_part);
	free(x.cuts);
	free(x.nbins);
	free(x.g);
	free(x.pred);
	free(x.bins);
	free(x.idx);
	free(x.tmp);
	return 0;
}
