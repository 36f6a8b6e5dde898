/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>

#include "gf_pool.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

struct gf_pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	int n;			/* threads including the caller */
	unsigned gen;
	int pending, quit;
	gf_pool_fn fn;
	void *arg;
	pthread_t *th;
};

struct pool_start {
	struct gf_pool *p;
	int id;
};

static void *
pool_main(void *a)
{
	struct pool_start *s = a;
	struct gf_pool *p = s->p;
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

struct gf_pool *
gf_pool_new(int threads)
{
	struct gf_pool *p = gf_xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	p->n = 1;
	p->th = gf_xcalloc((size_t)(threads > 1 ? threads : 1),
	    sizeof(*p->th));
	for (int i = 1; i < threads; i++) {
		struct pool_start *s = gf_xmalloc(sizeof(*s));

		s->p = p;
		s->id = i;
		if (pthread_create(&p->th[i], NULL, pool_main, s) != 0) {
			free(s);
			break;	/* fewer threads: slower, still correct */
		}
		p->n++;
	}
	return p;
}

int
gf_pool_size(const struct gf_pool *p)
{
	return p->n;
}

void
gf_pool_run(struct gf_pool *p, gf_pool_fn fn, void *arg)
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

void
gf_pool_free(struct gf_pool *p)
{
	if (p == NULL)
		return;
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
	free(p);
}

