// Forced into every C++ file of the wheel's build (Makefile, "wheel"). Debian
// 12's libstdc++ (GCC 12) gave one function the wheel uses a new default
// symbol version, GLIBCXX_3.4.30, which Amazon Linux 2023 (EMR 7, GCC 11's
// libstdc++) lacks. The same function is still exported under its GCC 11
// version: binding to that one keeps the module within manylinux_2_34.
#pragma once
__asm__(
    ".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,"
    "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
