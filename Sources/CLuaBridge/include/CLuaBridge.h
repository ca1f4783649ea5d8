void clua_bridge_placeholder(void);
