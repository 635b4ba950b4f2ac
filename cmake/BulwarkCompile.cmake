# Warnings for bulwark's own code (not for torch's headers, which come in as system headers).
set(BULWARK_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)

# Executables (tests, programs, benchmarks) reuse the library's precompiled torch header; that
# needs the library's flags (-fPIC rather than -fPIE).
function(bulwark_reuse_pch target)
  if(BULWARK_PCH)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
    target_precompile_headers(${target} REUSE_FROM bulwark_objects)
  endif()
endfunction()
