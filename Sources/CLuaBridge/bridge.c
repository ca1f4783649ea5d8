#include "CLuaBridge.h"
void clua_bridge_placeholder(void) {}
