/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XgboostFitTrainer: histogram gradient boosting.
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
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_model_impl.h"
#include "gf_pool.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

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
	struct gf_pool *pool;
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
	int bits = gf_radix_bits(n);
	size_t nd = (size_t)1 << bits, mask = nd - 1;
	size_t *cnt = gf_xreallocarray(NULL, nd, sizeof(*cnt));
	uint64_t *t;

	for (int sh = 0; sh < 64 && n > 0; sh += bits) {
		memset(cnt, 0, nd * sizeof(*cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(a[i] >> sh) & mask]++;
		if (!gf_radix_offsets(cnt, nd, (a[0] >> sh) & mask, n))
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

			ka[k] = gf_dkey(X[i * nf + f] / scale[f]);
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
			uk = gf_dval(u[k]);
			uk1 = gf_dval(u[k + 1]);
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
		gf_pool_run(x->pool, hist_job, x);
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
	struct gf_forest fo = { NULL, 0, 0, NULL, 0 };
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
	x.pool = gf_pool_new(rows < XGB_MIN_PAR ? 1 : threads);
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
		gf_pool_run(x.pool, rows_job, &x);
	}
	x.X = NULL;
	gf_release_rows(own);
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

			gf_forest_add(&fo, start);
			fo.nodes[start].value = -G / (H + lambda) * eta;
			fo.ntrees++;
			fo.off[fo.ntrees] = fo.n;
			continue;
		}
		x.job = 1;
		gf_pool_run(x.pool, rows_job, &x);
		for (size_t i = 0; i < rows; i++)
			x.idx[i] = (uint32_t)i;
		gf_forest_add(&fo, start);
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
				int l = gf_forest_add(&fo, start);
				int r = gf_forest_add(&fo, start);

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
			if (gf_pool_size(x.pool) > 1 && rows >= XGB_MIN_PAR)
				gf_pool_run(x.pool, nodes_job, &x);
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
	gf_forest_done(m, &fo);
	gf_pool_free(x.pool);
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
