print("kosmo-lua")
