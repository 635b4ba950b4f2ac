// The attacks beyond PGD: schedules against the papers, projections against brute force,
// Jacobians against per-class gradients, invariants and query accounting for every attack.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <bulwark/attacks/apgd.h>
#include <bulwark/attacks/autoattack.h>
#include <bulwark/attacks/cw.h>
#include <bulwark/attacks/deepfool.h>
#include <bulwark/attacks/evaluate.h>
#include <bulwark/attacks/fab.h>
#include <bulwark/attacks/mifgsm.h>
#include <bulwark/attacks/square.h>
#include <bulwark/attacks/targets.h>
#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/losses/classification.h>
#include <bulwark/ops/hyperplane_projection.h>
#include <bulwark/ops/steps.h>

using namespace bulwark;

namespace {
torch::nn::Sequential conv_net() {
  torch::manual_seed(0);
  return torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)),
                               torch::nn::ReLU(), torch::nn::Flatten(),
                               torch::nn::Linear(4 * 6 * 6, 6));
}

// The smallest L2 step onto {w.(t + d) = b} inside [0, 1]^n: d = clip(t - lambda w) - t,
// with lambda found by bisection (w.(clip(t - lambda w)) falls monotonically in lambda).
at::Tensor l2_by_bisection(const at::Tensor& t, const at::Tensor& w, double b) {
  auto value = [&](double lam) { return ((t - lam * w).clamp(0, 1) * w).sum().item<double>(); };
  double lo = -1e4, hi = 1e4;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (value(mid) > b ? lo : hi) = mid;
  }
  return (t - lo * w).clamp(0, 1) - t;
}

// The smallest Linf radius r for which some d, |d_i| <= r, t + d in the box, reaches w.(t+d) = b.
double linf_by_bisection(const at::Tensor& t, const at::Tensor& w, double b) {
  const double now = (w * t).sum().item<double>();
  const double sign = b > now ? 1.0 : -1.0;
  auto reach = [&](double r) {  // the furthest w.(t + d) can move towards b with radius r
    const at::Tensor dir = (w * sign).sign();
    const at::Tensor d = (t + r * dir).clamp(0, 1) - t;
    return sign * ((w * (t + d)).sum().item<double>() - b);
  };
  double lo = 0, hi = 1;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (reach(mid) >= 0 ? hi : lo) = mid;
  }
  return hi;
}
}  // namespace

TEST_CASE("APGD checkpoints follow Croce & Hein's p_j schedule", "[apgd]") {
  CHECK(attacks::impl::apgd_checkpoints(100) == std::vector<int64_t>{22, 41, 57, 70, 80, 87, 93, 99});
  CHECK(attacks::impl::apgd_checkpoints(10) == std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(attacks::impl::apgd_checkpoints(1) == std::vector<int64_t>{1});
}

TEST_CASE("Square: p schedule and the L2 pattern", "[square]") {
  using attacks::impl::square_p;
  CHECK(square_p(0.8, 0, 10000, false) == 0.8);
  CHECK(square_p(0.8, 10, 10000, false) == 0.8);
  CHECK(square_p(0.8, 11, 10000, false) == 0.4);
  CHECK(square_p(0.8, 201, 10000, false) == Approx(0.1));
  CHECK(square_p(0.8, 9000, 10000, false) == Approx(0.8 / 512));
  CHECK(square_p(0.8, 500, 5000, true) == Approx(0.8 / 16));  // 500 / 5000 * 10000 = 1000
  for (int64_t s : {3, 5, 8, 13}) {
    const at::Tensor eta = attacks::impl::square_l2_pattern(s);
    CHECK(eta.pow(2).sum().item<double>() == Approx(1.0));
    CHECK(eta.narrow(0, 0, s / 2).ge(0).all().item<bool>());
    CHECK(eta.narrow(0, s / 2, s - s / 2).le(0).all().item<bool>());
  }
}

TEST_CASE("Hyperplane steps are feasible and minimal (brute-force bisection)", "[fab]") {
  at::Generator g = make_generator(3);
  for (int trial = 0; trial < 20; ++trial) {
    const int64_t n = 5 + trial;
    const at::Tensor t = at::rand({1, n}, g, at::kDouble);
    const at::Tensor w = at::randn({1, n}, g, at::kDouble);
    // A reachable target: w.(t + d) = b for some box point.
    const at::Tensor corner = at::rand({1, n}, g, at::kDouble);
    const double b = (w * (t + 0.3 * (corner - t))).sum().item<double>();
    const at::Tensor bt = at::full({1}, b, at::kDouble);

    const at::Tensor d2 = ops::hyperplane_step_l2(t, w, bt);
    CHECK((w * (t + d2)).sum().item<double>() == Approx(b).margin(1e-8));
    CHECK((t + d2).min().item<double>() >= -1e-12);
    CHECK((t + d2).max().item<double>() <= 1 + 1e-12);
    const at::Tensor ref = l2_by_bisection(t[0], w[0], b);
    CHECK(d2.norm().item<double>() == Approx(ref.norm().item<double>()).epsilon(1e-6));

    const at::Tensor dinf = ops::hyperplane_step_linf(t, w, bt);
    CHECK((w * (t + dinf)).sum().item<double>() == Approx(b).margin(1e-8));
    CHECK((t + dinf).min().item<double>() >= -1e-12);
    CHECK((t + dinf).max().item<double>() <= 1 + 1e-12);
    CHECK(dinf.abs().max().item<double>() ==
          Approx(linf_by_bisection(t[0], w[0], b)).epsilon(1e-6));
  }
}

TEST_CASE("logits_and_jacobian matches per-class gradients and counts C backwards", "[classifier]") {
  auto net = conv_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(1);
  const at::Tensor x = at::rand({4, 1, 8, 8}, g);
  const auto lj = model.logits_and_jacobian(x);
  REQUIRE(lj.jacobian.sizes() == at::IntArrayRef({4, 6, 1, 8, 8}));
  for (int64_t k = 0; k < 6; ++k) {
    const auto lg = model.logits_and_grad(x, [&](const at::Tensor& z) { return z.select(1, k); });
    CHECK(at::allclose(lj.jacobian.select(1, k), lg.grad, 1e-5, 1e-6));
  }
  model.reset_queries();
  const at::Tensor picks = at::tensor({2, 0, 5, 1, 1, 1, 3, 4}, at::kLong).view({4, 2});
  const auto sub = model.logits_and_jacobian(x, picks);
  CHECK(model.queries().backward_calls == 2);
  CHECK(model.queries().forward_calls == 1);
  CHECK(at::allclose(sub.jacobian.select(1, 0).select(0, 1), lj.jacobian[1][5], 1e-5, 1e-6));
  CHECK_THROWS_AS(model.logits_and_jacobian(x, at::full({4, 1}, 9, at::kLong)), InvalidArgument);
}

TEST_CASE("Expected gradients average over samples; targeted DLR formula", "[losses]") {
  auto net = conv_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(2);
  const at::Tensor x = at::rand({3, 1, 8, 8}, g);
  const at::Tensor y = at::tensor({0, 1, 2}, at::kLong);
  const auto one = model.logits_and_grad(x, losses::against(losses::Loss::CrossEntropy, y));
  const auto avg = attacks::expected_logits_and_grad(model, x, losses::against(losses::Loss::CrossEntropy, y), 4);
  CHECK(at::allclose(one.grad, avg.grad, 1e-5, 1e-7));  // deterministic model: the same
  CHECK(model.queries().backward_calls == 5);

  const at::Tensor z = at::tensor({3.0, 1.0, 0.5, 0.0, -1.0}, at::kDouble).view({1, 5});
  const double expected = -(1.0 - 0.5) / (3.0 - 0.5 * (0.5 + 0.0) + 1e-12);
  CHECK(losses::dlr_targeted(z, at::tensor({1}, at::kLong), at::tensor({2}, at::kLong)).item<double>() ==
        Approx(expected));
}

TEST_CASE("Every attack keeps shape, dtype, box and budget; seeds reproduce", "[attacks]") {
  auto net = conv_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(7);
  const at::Tensor x = at::rand({16, 1, 8, 8}, g);
  const at::Tensor y = model.predict(x);
  const double eps = 0.1;
  std::vector<std::pair<std::shared_ptr<attacks::Attack>, bool>> list;  // (attack, fixed budget)
  attacks::MIFGSMOptions mi;
  mi.eps = eps;
  list.push_back({std::make_shared<attacks::MIFGSM>(mi), true});
  attacks::APGDOptions ap;
  ap.eps = eps, ap.steps = 12, ap.restarts = 2;
  list.push_back({std::make_shared<attacks::APGD>(ap), true});
  ap.norm = ops::Norm::L2, ap.eps = 0.5;
  list.push_back({std::make_shared<attacks::APGD>(ap), true});
  attacks::APGDTOptions at_;
  at_.eps = eps, at_.steps = 8, at_.num_targets = 3;
  list.push_back({std::make_shared<attacks::APGDT>(at_), true});
  attacks::FABOptions fab;
  fab.eps = eps, fab.steps = 10, fab.restarts = 2;
  list.push_back({std::make_shared<attacks::FAB>(fab), false});
  list.push_back({std::make_shared<attacks::FABT>(fab), false});
  attacks::SquareOptions sq;
  sq.eps = eps, sq.queries = 50;
  list.push_back({std::make_shared<attacks::Square>(sq), true});
  sq.norm = ops::Norm::L2, sq.eps = 0.5;
  list.push_back({std::make_shared<attacks::Square>(sq), true});
  attacks::DeepFoolOptions df;
  list.push_back({std::make_shared<attacks::DeepFool>(df), false});
  attacks::CWOptions cw;
  cw.steps = 10, cw.binary_search_steps = 2;
  list.push_back({std::make_shared<attacks::CW>(cw), false});
  attacks::AutoAttackOptions aa;
  aa.eps = eps, aa.steps = 5, aa.square_queries = 20;
  list.push_back({std::make_shared<attacks::AutoAttack>(aa), true});

  for (const auto& [attack, fixed] : list) {
    INFO(attack->repr());
    const auto r = attack->run(model, x, y);
    CHECK(r.x_adv.sizes() == x.sizes());
    CHECK(r.x_adv.scalar_type() == x.scalar_type());
    CHECK(r.x_adv.min().item<double>() >= 0);
    CHECK(r.x_adv.max().item<double>() <= 1);
    if (fixed) {
      const double budget = attack->norm() == ops::Norm::Linf ? eps : 0.5;
      CHECK((r.norm <= budget * (1 + 1e-5) + 1e-6).all().item<bool>());
    }
    CHECK(r.success.sum().item<int64_t>() > 0);
    CHECK(at::equal((*attack)(model, x, y), r.x_adv));  // the same seed gives the same bytes
  }
}

TEST_CASE("Square never exceeds its query budget", "[square]") {
  auto net = conv_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(8);
  const at::Tensor x = at::rand({10, 1, 8, 8}, g);
  const at::Tensor y = model.predict(x);
  for (int64_t q : {2, 3, 40}) {
    attacks::SquareOptions o;
    o.eps = 0.01;  // small: most samples use the whole budget
    o.queries = q;
    model.reset_queries();
    (void)attacks::Square(o)(model, x, y);
    CHECK(model.queries().forward_samples <= 10 * q);
    CHECK(model.queries().backward_calls == 0);
  }
}

TEST_CASE("evaluate: per attack, worst case, batches agree", "[evaluate]") {
  auto net = conv_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(9);
  const at::Tensor x = at::rand({20, 1, 8, 8}, g);
  const at::Tensor y = at::randint(0, 6, {20}, g);
  attacks::MIFGSMOptions mi;
  mi.eps = 0.05;
  attacks::APGDOptions ap;
  ap.eps = 0.05, ap.steps = 10;
  const std::vector<attacks::NamedAttack> list = {
      {"mifgsm", std::make_shared<attacks::MIFGSM>(mi)}, {"apgd", std::make_shared<attacks::APGD>(ap)}};
  attacks::EvaluateOptions o;
  o.progress = false;
  o.batch_size = 7;
  const auto ev = attacks::evaluate(model, x, y, list, o);
  o.batch_size = 20;
  const auto whole = attacks::evaluate(model, x, y, list, o);
  CHECK(at::equal(ev.correct, whole.correct));
  CHECK(at::equal(ev.robust[0], whole.robust[0]));  // MIFGSM is deterministic per sample
  CHECK(ev.correct.eq(model.predict(x).eq(y)).all().item<bool>());
  CHECK(at::equal(ev.worst_case, ev.robust[0] & ev.robust[1]));
  CHECK(ev.worst_case_accuracy() <= std::min(ev.robust_accuracy(0), ev.robust_accuracy(1)));
  CHECK(ev.robust_accuracy(1) <= ev.clean_accuracy());
  CHECK_THROWS_AS(attacks::evaluate(model, x, y, {{"t", std::make_shared<attacks::MIFGSM>([] {
                                                      attacks::MIFGSMOptions m;
                                                      m.targeted = true;
                                                      return m;
                                                    }())}},
                                    o),
                  InvalidArgument);
}

TEST_CASE("Target rules never pick the label", "[targets]") {
  auto net = conv_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(10);
  const at::Tensor x = at::rand({50, 1, 8, 8}, g);
  const at::Tensor y = at::randint(0, 6, {50}, g);
  for (auto rule : {attacks::TargetRule::Random, attacks::TargetRule::LeastLikely,
                    attacks::TargetRule::RunnerUp}) {
    const at::Tensor t = attacks::select_targets(model, x, y, rule, 3);
    CHECK(t.ne(y).all().item<bool>());
    CHECK(t.ge(0).all().item<bool>());
    CHECK(t.lt(6).all().item<bool>());
  }
  const at::Tensor z = model.logits(x).detach();
  CHECK(at::equal(attacks::select_targets(model, x, y, attacks::TargetRule::LeastLikely),
                  z.scatter(1, y.unsqueeze(1), 1e9).argmin(1)));
  CHECK(at::equal(attacks::select_targets(model, x, y, attacks::TargetRule::Random, 1),
                  attacks::select_targets(model, x, y, attacks::TargetRule::Random, 1)));
  CHECK_THROWS_AS(attacks::parse_target_rule("nearest"), InvalidArgument);
}

TEST_CASE("Bad options name the argument", "[attacks]") {
  attacks::APGDOptions ap;
  ap.eps = -1;
  CHECK_THROWS_WITH(attacks::APGD(ap), Catch::Contains("APGD: eps must be finite and >= 0"));
  attacks::FABOptions fab;
  fab.norm = ops::Norm::L1;
  CHECK_THROWS_WITH(attacks::FAB(fab), Catch::Contains("FAB: norm must be 'linf' or 'l2'"));
  attacks::SquareOptions sq;
  sq.queries = 1;
  CHECK_THROWS_WITH(attacks::Square(sq), Catch::Contains("Square: queries must be >= 2"));
  attacks::AutoAttackOptions aa;
  aa.version = "fast";
  CHECK_THROWS_WITH(attacks::AutoAttack(aa), Catch::Contains("version must be one of"));
  attacks::CWOptions cw;
  cw.binary_search_steps = 0;
  CHECK_THROWS_WITH(attacks::CW(cw), Catch::Contains("CW: binary_search_steps must be in [1, 1000000]"));
}

TEST_CASE("Fused L-inf steps equal their tensor-op formulas", "[ops]") {
  at::Generator gen = make_generator(11);
  for (auto dtype : {at::kFloat, at::kDouble}) {
    const at::Tensor x = at::rand({5, 3, 7, 7}, gen, dtype);
    const at::Tensor xp = at::rand({5, 3, 7, 7}, gen, dtype);
    at::Tensor g = at::randn({5, 3, 7, 7}, gen, dtype);
    g.view(-1).narrow(0, 0, 20).zero_();  // sign(0) = 0
    const at::Tensor lo = (x - 0.1).clamp_min(0), hi = (x + 0.1).clamp_max(1);
    const at::Tensor expected = at::add(x, g.sign(), 0.03).clamp(lo, hi);
    CHECK(at::allclose(ops::linf_sign_step(x, g, 0.03, lo, hi), expected));
    // A non-contiguous gradient takes the tensor-op path: the same numbers.
    const at::Tensor gt = g.transpose(2, 3).contiguous().transpose(2, 3);
    CHECK(at::allclose(ops::linf_sign_step(x, gt, 0.03, lo, hi), expected));

    const at::Tensor step = at::rand({5}, gen, at::kDouble) * 0.2;
    const at::Tensor sv = step.to(dtype).view({5, 1, 1, 1});
    const at::Tensor z = (x + sv * g.sign()).clamp(lo, hi);
    const at::Tensor want = (x + (z - x) * 0.75 + (x - xp) * 0.25).clamp(lo, hi);
    CHECK(at::allclose(ops::linf_momentum_step(x, xp, g, step, 0.75, lo, hi), want, 1e-5, 1e-6));
    CHECK(at::allclose(ops::linf_momentum_step(x, xp, gt, step, 0.75, lo, hi), want, 1e-5, 1e-6));
  }
}
