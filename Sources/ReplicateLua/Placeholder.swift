public enum ReplicateLuaPlaceholder {}
