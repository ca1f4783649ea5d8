// The header declares libFuzzer's driver; its definition comes from libclang_rt.fuzzer_no_main.
#include "CFuzzDriver.h"
