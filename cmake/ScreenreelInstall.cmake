# Installing screenreel as a tool (issue 20): the three programs, man pages generated from their
# --help at build time (help2man, so they cannot drift), bash completion (which reads --help when
# completing, so new options complete without edits), the receiver's systemd unit, the schemas,
# and a Debian package from CPack with dependencies computed from the shared libraries. Also the
# archive-reading library for other programs (find_package(screenreel) or pkg-config
# screenreel-archive; examples/ shows both), the archive format's man page (pandoc, from
# schemas/) and a user unit for capture.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SCREENREEL_PROGRAMS screenreel-capture screenreel-receiver screenreel-replay)
install(TARGETS ${SCREENREEL_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Man pages, section 1: help2man runs each built program's --help and --version.
find_program(SCREENREEL_HELP2MAN help2man REQUIRED)
set(screenreel_man_capture "stream the screen to a screenreel receiver")
set(screenreel_man_receiver "record screenreel streams into a JPEG + SQLite archive")
set(screenreel_man_replay "list, play, export and search a screenreel archive")
set(screenreel_man_pages)
foreach(program IN LISTS SCREENREEL_PROGRAMS)
  string(REPLACE "screenreel-" "" short ${program})
  set(page ${CMAKE_BINARY_DIR}/man/${program}.1)
  # Installed compressed (gzip -9n: no time stamp, so the same page gives the same file), as
  # Debian's policy and lintian ask.
  add_custom_command(OUTPUT ${page} ${page}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${SCREENREEL_HELP2MAN} --no-info --no-discard-stderr --section=1
            "--name=${screenreel_man_${short}}" --output=${page} $<TARGET_FILE:${program}>
    COMMAND gzip -9nkf ${page}
    DEPENDS ${program}
    COMMENT "help2man ${program}.1")
  list(APPEND screenreel_man_pages ${page}.gz)
  # Completion: one script, installed under each program's name (bash-completion's lookup).
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/bash-completion/screenreel
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${program})
endforeach()
add_custom_target(screenreel_man ALL DEPENDS ${screenreel_man_pages})
install(FILES ${screenreel_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The receiver as a system service (user and state directory made by the package's postinst).
configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/screenreel-receiver.service.in
               ${CMAKE_BINARY_DIR}/systemd/screenreel-receiver.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/systemd/screenreel-receiver.service DESTINATION lib/systemd/system)

# Example configuration files: what --print-config prints with nothing set (every key, commented
# out with its default), so they list exactly the options the programs have.
set(screenreel_config_examples)
foreach(program screenreel-receiver screenreel-capture)
  set(example ${CMAKE_BINARY_DIR}/config/${program}.conf)
  add_custom_command(OUTPUT ${example}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/config
    COMMAND sh -c "\"$0\" --config /dev/null --print-config > \"$1\"" $<TARGET_FILE:${program}> ${example}
    DEPENDS ${program}
    COMMENT "${program}.conf (example configuration)"
    VERBATIM)
  list(APPEND screenreel_config_examples ${example})
endforeach()
add_custom_target(screenreel_config_examples ALL DEPENDS ${screenreel_config_examples})
install(FILES ${screenreel_config_examples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Capture as a user service that starts and stops with the graphical session.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/screenreel-capture.service DESTINATION lib/systemd/user)

# screenreel-archive(5), section 5: pandoc from schemas/archive-layout.md and schemas/catalog.sql
# at build time (cmake/archive_man_page.cmake puts them in one Markdown page), so it says what
# the schemas say.
find_program(SCREENREEL_PANDOC pandoc REQUIRED)
set(archive_man_md ${CMAKE_BINARY_DIR}/man/screenreel-archive.md)
set(archive_man_page ${CMAKE_BINARY_DIR}/man/screenreel-archive.5)
add_custom_command(OUTPUT ${archive_man_page} ${archive_man_page}.gz
  COMMAND ${CMAKE_COMMAND} -DLAYOUT=${PROJECT_SOURCE_DIR}/schemas/archive-layout.md
          -DCATALOG=${PROJECT_SOURCE_DIR}/schemas/catalog.sql -DVERSION=${PROJECT_VERSION}
          -DOUT=${archive_man_md} -P ${PROJECT_SOURCE_DIR}/cmake/archive_man_page.cmake
  COMMAND ${SCREENREEL_PANDOC} --standalone --from=markdown --to=man --shift-heading-level-by=-1
          --output=${archive_man_page} ${archive_man_md}
  COMMAND gzip -9nkf ${archive_man_page}
  DEPENDS ${PROJECT_SOURCE_DIR}/schemas/archive-layout.md ${PROJECT_SOURCE_DIR}/schemas/catalog.sql
          ${PROJECT_SOURCE_DIR}/cmake/archive_man_page.cmake
  COMMENT "pandoc screenreel-archive.5"
  VERBATIM)
add_custom_target(screenreel_man_archive ALL DEPENDS ${archive_man_page})
install(FILES ${archive_man_page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# The archive-reading library: screenreel::archive and the screenreel::common under it, static,
# with their headers, a CMake package config and a pkg-config file. What the libraries link
# privately is part of the export (a static library's users link it); the build's warning and
# sanitizer targets are not ($<BUILD_INTERFACE:...> in archive/ and common/).
set_target_properties(screenreel_archive PROPERTIES EXPORT_NAME archive)
set_target_properties(screenreel_common PROPERTIES EXPORT_NAME common)
install(TARGETS screenreel_archive screenreel_common EXPORT screenreelTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/archive/include/ ${PROJECT_SOURCE_DIR}/common/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(screenreel_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/screenreel)
install(EXPORT screenreelTargets NAMESPACE screenreel:: DESTINATION ${screenreel_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/screenreelConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/screenreelConfig.cmake INSTALL_DESTINATION ${screenreel_cmake_dir})
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/screenreelConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/screenreelConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/screenreelConfigVersion.cmake
        DESTINATION ${screenreel_cmake_dir})
# The .pc file finds its prefix from where it is (pkg-config's ${pcfiledir}), so it works under
# any prefix and DESTDIR it is installed into (cmake --install --prefix, CPack's /usr, a copy).
file(RELATIVE_PATH SCREENREEL_PC_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" SCREENREEL_PC_PREFIX "\${pcfiledir}/${SCREENREEL_PC_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/packaging/pkg-config/screenreel-archive.pc.in
               ${CMAKE_BINARY_DIR}/pkgconfig/screenreel-archive.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/screenreel-archive.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/screenreel/schemas)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The package's changelog (a native package's changelog.gz), its version the project's.
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/changelog.in ${CMAKE_BINARY_DIR}/debian/changelog @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/debian/changelog.gz
  COMMAND gzip -9nkf ${CMAKE_BINARY_DIR}/debian/changelog
  DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog
  COMMENT "changelog.gz")
add_custom_target(screenreel_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME screenreel)
set(CPACK_PACKAGE_CONTACT "screenreel maintainers <maintainers@screenreel.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "screen recorder: capture -> LZ4 over TCP -> JPEG + SQLite archive")
set(CPACK_PACKAGE_DESCRIPTION "screenreel records screens over the network.
screenreel-capture grabs an X11 or Wayland screen and streams the changed
tiles, LZ4-compressed, to screenreel-receiver, which shows them live and
writes every frame as a JPEG indexed in a SQLite catalog. screenreel-replay
lists, plays, exports and searches (OCR) the archive, and serves it to a
browser.")
# The programs stripped in the package (their debug information stays in the build).
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "tesseract-ocr-eng")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
