# Warnings for bulwark's own code (not for torch's headers, which come in as system headers).
set(BULWARK_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)

# Executables (tests, programs, benchmarks) reuse the library's precompiled torch header; that
# needs the library's flags (-fPIC rather than -fPIE).
function(bulwark_reuse_pch target)
  if(BULWARK_PCH)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
    target_precompile_headers(${target} REUSE_FROM bulwark_core)
  endif()
endfunction()

# Unity builds: a target's sources compiled `batch` at a time as one translation unit, so the
# torch headers and their templates are processed once per batch rather than once per file (the
# per-file cost dominates a cold build: docs/benchmarks.md, "Build"). Files batched together
# share one anonymous namespace, so file-local names must differ between them (a clash fails the
# build). -DBULWARK_UNITY=OFF compiles file by file (faster one-file rebuilds while editing).
function(bulwark_unity target batch)
  if(BULWARK_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${batch})
  endif()
endfunction()
