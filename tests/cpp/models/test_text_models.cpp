// Reference text models: padding invariance, the embedding path, seeding.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <bulwark/core/random.h>
#include <bulwark/models/text_models.h>

using namespace bulwark;

namespace {
// vocabulary 50, 8-d embeddings, 2 classes, the given seed.
template <typename T>
T make(uint64_t seed);
template <>
models::EmbeddingBagClassifier make(uint64_t seed) { return {50, 8, 2, seed}; }
template <>
models::TextCNN make(uint64_t seed) { return {50, 8, 16, 2, seed}; }
}  // namespace

TEMPLATE_TEST_CASE("text models: padding does not change logits; embed path", "[models][text]",
                   models::EmbeddingBagClassifier, models::TextCNN) {
  torch::manual_seed(1);
  const at::Tensor before = torch::rand({1});
  torch::manual_seed(1);
  TestType net = make<TestType>(3);
  CHECK(at::equal(torch::rand({1}), before));  // construction left torch's RNG alone
  net.eval();
  at::Generator g = make_generator(2);
  const at::Tensor ids = at::randint(2, 50, {4, 7}, g);
  const at::Tensor padded = at::cat({ids, at::zeros({4, 5}, at::kLong)}, 1);
  const at::Tensor z = net.forward(ids);
  CHECK(z.sizes() == at::IntArrayRef{4, 2});
  CHECK(at::allclose(net.forward(padded), z, 1e-5, 1e-6));
  const at::Tensor mask = ids.ne(0).to(at::kFloat);
  CHECK(at::equal(net.forward_embedded(net.embed(ids), mask), z));
  TestType same = make<TestType>(3), other = make<TestType>(4);
  CHECK(at::equal(same.embedding->weight, net.embedding->weight));
  CHECK_FALSE(at::equal(other.embedding->weight, net.embedding->weight));
}

TEST_CASE("embedding bag: logits are linear in the mean embedding", "[models][text]") {
  models::EmbeddingBagClassifier net(30, 6, 2, 0);
  const at::Tensor ids = at::tensor({5, 7, 9, 0}, at::kLong).unsqueeze(0);
  const at::Tensor mean = net.embedding->weight.index_select(0, at::tensor({5, 7, 9}, at::kLong)).mean(0);
  const at::Tensor want = at::matmul(net.fc->weight, mean) + net.fc->bias;
  CHECK(at::allclose(net.forward(ids)[0], want, 1e-5, 1e-6));
}
