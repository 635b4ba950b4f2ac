#pragma once
// Everything in bulwark, for users who want one line.

#include <bulwark/version.h>

#include <bulwark/core/base64.h>
#include <bulwark/core/bounds.h>
#include <bulwark/core/classifier.h>
#include <bulwark/core/error.h>
#include <bulwark/core/json.h>
#include <bulwark/core/paths.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>
#include <bulwark/core/saved_object.h>
#include <bulwark/core/scoped_eval.h>
#include <bulwark/core/tensor_codec.h>
#include <bulwark/core/torchscript_classifier.h>

#include <bulwark/ops/ball_sampling.h>
#include <bulwark/ops/hyperplane_projection.h>
#include <bulwark/ops/norm.h>
#include <bulwark/ops/projection.h>
#include <bulwark/ops/steps.h>

#include <bulwark/losses/classification.h>

#include <bulwark/attacks/attack.h>
#include <bulwark/attacks/apgd.h>
#include <bulwark/attacks/autoattack.h>
#include <bulwark/attacks/cw.h>
#include <bulwark/attacks/deepfool.h>
#include <bulwark/attacks/evaluate.h>
#include <bulwark/attacks/fab.h>
#include <bulwark/attacks/fgsm.h>
#include <bulwark/attacks/mifgsm.h>
#include <bulwark/attacks/pgd.h>
#include <bulwark/attacks/square.h>
#include <bulwark/attacks/targets.h>
#include <bulwark/attacks/text/candidates.h>
#include <bulwark/attacks/text/deepwordbug.h>
#include <bulwark/attacks/text/hotflip.h>
#include <bulwark/attacks/text/pwws.h>
#include <bulwark/attacks/text/text_attack.h>
#include <bulwark/attacks/text/textfooler.h>
#include <bulwark/attacks/text/victim.h>

#include <bulwark/defenses/adversarial_trainer.h>
#include <bulwark/defenses/free_adversarial_training.h>
#include <bulwark/defenses/freelb.h>
#include <bulwark/defenses/randomized_smoothing.h>

#include <bulwark/calibration/binary_calibrators.h>
#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/calibrator.h>
#include <bulwark/calibration/linear_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/metrics/calibration_metrics.h>

#include <bulwark/optim/lbfgs.h>
#include <bulwark/optim/newton.h>

#include <bulwark/metrics/binomial.h>
#include <bulwark/metrics/ood_metrics.h>
#include <bulwark/ood/detector.h>
#include <bulwark/ood/gradnorm.h>
#include <bulwark/ood/knn.h>
#include <bulwark/ood/logit_detectors.h>
#include <bulwark/ood/mahalanobis.h>
#include <bulwark/ood/odin.h>
#include <bulwark/ood/react.h>
#include <bulwark/ood/vim.h>

#include <bulwark/conformal/class_conditional.h>
#include <bulwark/conformal/metrics.h>
#include <bulwark/conformal/raps_tuning.h>
#include <bulwark/conformal/risk_control.h>
#include <bulwark/conformal/scores.h>
#include <bulwark/conformal/split_conformal.h>

#include <bulwark/data/batches.h>
#include <bulwark/data/dataset.h>
#include <bulwark/data/digits.h>
#include <bulwark/data/email.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/idx.h>
#include <bulwark/data/ood_sets.h>
#include <bulwark/data/spam_assassin.h>

#include <bulwark/text/characters.h>
#include <bulwark/text/encode.h>
#include <bulwark/text/tokenizer.h>
#include <bulwark/text/vocabulary.h>
#include <bulwark/text/wordnet.h>

#include <bulwark/models/checkpoint.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/optimizer_hooks.h>
#include <bulwark/models/reference.h>
#include <bulwark/models/text_models.h>
#include <bulwark/models/training.h>
#include <bulwark/models/training_checkpoint.h>
#include <bulwark/models/training_loop.h>
