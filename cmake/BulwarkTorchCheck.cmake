# The Python extension links the LibTorch that find_package(Torch) found, and Python will load it
# next to the torch that `import torch` gives: they must be one torch. Two torches of different
# versions, or of different C++ ABIs (torch._C._GLIBCXX_USE_CXX11_ABI against LibTorch's
# -D_GLIBCXX_USE_CXX11_ABI), build fine and then crash or fail at import, so configure stops
# here, saying what it found and how to point it at the right one.
function(bulwark_check_python_torch)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -c
            "import torch; print(torch.__version__); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "bulwark: ${Python_EXECUTABLE} cannot import torch, which bulwark._core "
                        "needs at run time:\n${err}\nInstall torch for that interpreter, or choose "
                        "another with -DPython_EXECUTABLE=...")
  endif()
  string(REPLACE "\n" ";" out "${out}")
  list(GET out 0 python_torch)
  list(GET out 1 python_abi)
  # "2.5.1+cu124", "1.13.0a0+gitunknown" -> 2.5.1, 1.13.0: release numbers only.
  string(REGEX MATCH "^[0-9]+\\.[0-9]+(\\.[0-9]+)?" python_release "${python_torch}")
  string(REGEX MATCH "^[0-9]+\\.[0-9]+(\\.[0-9]+)?" libtorch_release "${Torch_VERSION}")
  if(NOT python_release VERSION_EQUAL libtorch_release)
    message(FATAL_ERROR "bulwark: LibTorch ${Torch_VERSION} (found in ${TORCH_INSTALL_PREFIX}) and "
                        "the torch ${python_torch} that ${Python_EXECUTABLE} imports differ; build "
                        "against that interpreter's own LibTorch: "
                        "-DCMAKE_PREFIX_PATH=$(${Python_EXECUTABLE} -c 'import torch.utils; "
                        "print(torch.utils.cmake_prefix_path)') (setup.py passes it)")
  endif()
  set(libtorch_abi "")
  if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=([01])")
    set(libtorch_abi "${CMAKE_MATCH_1}")
  endif()
  if(NOT libtorch_abi STREQUAL "" AND NOT libtorch_abi STREQUAL python_abi)
    message(FATAL_ERROR "bulwark: LibTorch (${TORCH_INSTALL_PREFIX}) is built with "
                        "_GLIBCXX_USE_CXX11_ABI=${libtorch_abi}, the torch that ${Python_EXECUTABLE} "
                        "imports with ${python_abi}: the two cannot share C++ objects. Build against "
                        "that interpreter's own LibTorch (torch.utils.cmake_prefix_path).")
  endif()
  message(STATUS "bulwark: Python's torch ${python_torch} matches LibTorch ${Torch_VERSION} "
                 "(C++11 ABI ${python_abi})")
endfunction()
