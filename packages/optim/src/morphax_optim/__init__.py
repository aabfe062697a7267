"""Composable gradient transformations, schedules and losses with Optax's API.

    import morphax_optim as optax   # then use it as you would use optax
"""
from morphax_optim import tree_utils
from morphax_optim import tree_utils as tree
from morphax_optim.adding import (AddDecayedWeightsState, AddNoiseState,
                                  WeightDecaySchedule, add_decayed_weights,
                                  add_noise)
from morphax_optim.aliases import (adabelief, adadelta, adafactor, adagrad,
                                   adam, adamax, adamaxw, adamw, amsgrad,
                                   fromage, lamb, lars, lion, nadam, nadamw,
                                   noisy_sgd, novograd, radam, rmsprop, sgd,
                                   yogi)
from morphax_optim.base import (EmptyState, GradientTransformation,
                                GradientTransformationExtraArgs, NO_PARAMS_MSG,
                                apply_updates, global_norm, identity,
                                incremental_update, init_empty_state,
                                periodic_update, set_to_zero, stateless,
                                stateless_with_tree_map, with_extra_args_support)
from morphax_optim.clipping import (NonNegativeParamsState, ZeroNansState,
                                    centralize, clip, clip_by_block_rms,
                                    clip_by_global_norm,
                                    keep_params_nonnegative, zero_nans)
from morphax_optim.combine import (MaskedNode, MaskedState, MultiTransformState,
                                   chain, flatten, masked, multi_transform,
                                   named_chain)
from morphax_optim.factorized import FactoredState, scale_by_factored_rms
from morphax_optim.schedules import (constant_schedule, cosine_decay_schedule,
                                     cosine_onecycle_schedule,
                                     exponential_decay, join_schedules,
                                     linear_onecycle_schedule, linear_schedule,
                                     piecewise_constant_schedule,
                                     piecewise_interpolate_schedule,
                                     polynomial_schedule, sgdr_schedule,
                                     warmup_cosine_decay_schedule,
                                     warmup_exponential_decay_schedule)
from morphax_optim.losses import (cosine_distance, cosine_similarity,
                                  hinge_loss, huber_loss, kl_divergence,
                                  l2_loss, log_cosh, safe_softmax_cross_entropy,
                                  sigmoid_binary_cross_entropy,
                                  sigmoid_focal_loss, smooth_labels,
                                  softmax_cross_entropy,
                                  softmax_cross_entropy_with_integer_labels,
                                  squared_error)
from morphax_optim.transforms import (EmaState, ScaleByAdaDeltaState,
                                      ScaleByAdamState, ScaleByAmsgradState,
                                      ScaleByBeliefState, ScaleByLionState,
                                      ScaleByNovogradState, ScaleByRmsState,
                                      ScaleByRmsWithCountState,
                                      ScaleByRssState, ScaleByRStdDevState,
                                      ScaleByRStdDevWithCountState,
                                      ScaleByScheduleState, TraceState, ema,
                                      scale, scale_by_adadelta, scale_by_adam,
                                      scale_by_adamax, scale_by_amsgrad,
                                      scale_by_belief, scale_by_learning_rate,
                                      scale_by_lion, scale_by_novograd,
                                      scale_by_param_block_norm,
                                      scale_by_param_block_rms, scale_by_radam,
                                      scale_by_rms, scale_by_rss,
                                      scale_by_schedule, scale_by_stddev,
                                      scale_by_trust_ratio, scale_by_yogi,
                                      trace)
from morphax_optim.wrappers import (ApplyIfFiniteState, InjectHyperparamsState,
                                    InjectStatefulHyperparamsState,
                                    LookaheadParams, LookaheadState, MultiSteps,
                                    MultiStepsState, apply_if_finite,
                                    inject_hyperparams, lookahead)
from morphax_optim.tree_utils import (tree_add, tree_add_scale, tree_cast,
                                      tree_div, tree_full_like, tree_l2_norm,
                                      tree_mul, tree_ones_like, tree_scale,
                                      tree_sub, tree_sum, tree_vdot,
                                      tree_zeros_like)

# Optax exposes the losses also under optax.losses and schedules under optax.schedules.
from morphax_optim import losses, schedules  # noqa: E402,F401

from morphax_optim.base import OptState, Params, ScalarOrSchedule, Schedule, Updates  # noqa: E402

__version__ = "0.1.0"
