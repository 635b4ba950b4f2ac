// Precompiled for bulwark's own sources (see CMakeLists.txt): the torch headers nearly every
// translation unit needs, and nothing heavier (torch/torch.h doubles the load time).
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/module.h>
