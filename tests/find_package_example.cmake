# Installs bulwark into <build>/_install and builds examples/cpp/find_package against it.
set(prefix "${BULWARK_BUILD_DIR}/_install")
set(example_build "${BULWARK_BUILD_DIR}/_find_package_example")
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install "${BULWARK_BUILD_DIR}" --prefix "${prefix}")
run(${CMAKE_COMMAND} -S "${BULWARK_SOURCE_DIR}/examples/cpp/find_package" -B "${example_build}"
    -G "${CMAKE_GENERATOR}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
run(${CMAKE_COMMAND} --build "${example_build}")
run("${example_build}/bulwark_example")
