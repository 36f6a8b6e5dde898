/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fixed pool of threads that run one job at a time, all of them at
 * once, the caller's thread included: for work cut into as many parts as
 * there are threads, many times over (XGBoost's levels), where starting
 * threads per job would cost more than the job.
 *
 *	struct gf_pool *p = gf_pool_new(threads);
 *
 *	gf_pool_run(p, job, arg);	(job(arg, id, n) on every thread)
 *	gf_pool_free(p);
 *
 * Out of memory dies (gf_xalloc.h); a thread that cannot be started only
 * makes the pool smaller, never wrong.
 */
#ifndef GF_POOL_H
#define GF_POOL_H

struct gf_pool;

/*
 * A job: called once on each of the pool's n threads with id 0..n-1 (0
 * is the caller's thread) and the same arg.
 */
typedef void (*gf_pool_fn)(void *arg, int id, int n);

/*
 * A new pool of threads threads in all (values below 1 count as 1: the
 * caller alone). Free with gf_pool_free.
 */
struct gf_pool *gf_pool_new(int threads);
/* How many threads run each job, the caller's included (at least 1). */
int gf_pool_size(const struct gf_pool *p);
/* Run fn on every thread of p and return once all have returned. */
void gf_pool_run(struct gf_pool *p, gf_pool_fn fn, void *arg);
/* Stop and join p's threads and free p; NULL is fine. */
void gf_pool_free(struct gf_pool *p);

#endif
