public enum ReplicateSimPlaceholder {}
