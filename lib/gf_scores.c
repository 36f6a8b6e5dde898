/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stddef.h>

#include "gf_scores.h"
#include "gf_banned.h"

void
gf_scores_finish(const struct gf_scores_sum *s, struct gf_scores *out)
{
	out->n = s->n;
	if (s->n == 0) {
		out->mae = out->mape = out->rmse = out->mse = NAN;
		return;
	}
	out->mae = s->ae / (double)s->n;
	out->mse = s->se / (double)s->n;
	out->rmse = sqrt(out->mse);
	out->mape = s->np ? 100.0 * s->pe / (double)s->np : NAN;
}

void
gf_scores_compute(const double *y, const double *pred, size_t n,
    struct gf_scores *out)
{
	struct gf_scores_sum s = GF_SCORES_SUM_INIT;

	for (size_t i = 0; i < n; i++)
		gf_scores_add(&s, y[i], pred[i]);
	gf_scores_finish(&s, out);
}
