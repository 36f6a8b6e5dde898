#!/bin/sh
# gf_model at benchmark scale: XgboostFitTrainer on 10^6 rows within 3x
# the memory of the numeric data, same trees for any thread count.
exec "${GF_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}/tests/t_model" scale
