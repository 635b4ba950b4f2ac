// Compiled as part of the core area by the test `layering_wrong_direction_include`, which expects
// this file NOT to compile: core sits below attacks, so core's view of include/bulwark has no
// attacks/ folder (cmake/BulwarkAreas.cmake). Not part of the test program.
#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
