# The library's areas (docs/architecture.md, "Areas and layers"). Each area is an object library
# compiled against its own view of include/bulwark: symbolic links, under
# <build>/areas/<area>/bulwark, to the area's own headers and to those of the areas below it.
# An include in the wrong direction therefore does not compile
# ("bulwark/attacks/pgd.h: No such file or directory"; tests/cpp/layering checks it).
#
#   bulwark_area(<area> SOURCES <folder>... HEADERS <include/bulwark subfolder>...
#                [DEPENDS <area>...])
#
# DEPENDS names the areas directly below; what they see, this area sees too. An area must be
# declared after the areas it depends on, so the declarations in CMakeLists.txt read bottom-up.
function(bulwark_area area)
  cmake_parse_arguments(AREA "" "" "SOURCES;HEADERS;DEPENDS" ${ARGN})
  set(visible ${AREA_HEADERS})
  foreach(dep IN LISTS AREA_DEPENDS)
    if(NOT TARGET bulwark_${dep})
      message(FATAL_ERROR "bulwark_area(${area}): the area '${dep}' it depends on is not declared "
                          "before it")
    endif()
    get_property(dep_visible GLOBAL PROPERTY BULWARK_AREA_VISIBLE_${dep})
    list(APPEND visible ${dep_visible})
  endforeach()
  list(REMOVE_DUPLICATES visible)
  set_property(GLOBAL PROPERTY BULWARK_AREA_VISIBLE_${area} ${visible})

  # The view, made again at each configure (links only: ninja and ccache see the real files).
  set(view ${PROJECT_BINARY_DIR}/areas/${area})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view}/bulwark)
  foreach(folder IN LISTS visible)
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/bulwark/${folder} ${view}/bulwark/${folder}
         SYMBOLIC)
  endforeach()
  file(CREATE_LINK ${PROJECT_BINARY_DIR}/include/bulwark/version.h ${view}/bulwark/version.h
       SYMBOLIC)

  set(sources)
  foreach(folder IN LISTS AREA_SOURCES)
    file(GLOB folder_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.cpp)
    list(APPEND sources ${folder_sources})
  endforeach()
  add_library(bulwark_${area} OBJECT ${sources})
  bulwark_area_view(bulwark_${area} ${area})
  foreach(dep IN LISTS AREA_DEPENDS)
    target_link_libraries(bulwark_${area} PUBLIC bulwark_${dep})
  endforeach()
  target_link_libraries(bulwark_${area} PUBLIC torch OpenMP::OpenMP_CXX nlohmann_json::nlohmann_json
                        PRIVATE ZLIB::ZLIB Eigen3::Eigen xtensor)
  target_compile_options(bulwark_${area} PRIVATE ${BULWARK_WARNINGS})
  bulwark_unity(bulwark_${area} 10)
  if(BULWARK_PCH)
    if(area STREQUAL "core")
      target_precompile_headers(bulwark_core PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch.h)
    else()
      target_precompile_headers(bulwark_${area} REUSE_FROM bulwark_core)
    endif()
  endif()
  set_property(GLOBAL APPEND PROPERTY BULWARK_AREAS ${area})
endfunction()

# Compiles `target` as part of `area`: it sees the headers that area sees, and no others.
function(bulwark_area_view target area)
  if(NOT TARGET bulwark_${area})
    message(FATAL_ERROR "bulwark_area_view(${target}): no area '${area}'")
  endif()
  target_include_directories(${target} PRIVATE ${PROJECT_BINARY_DIR}/areas/${area})
endfunction()
