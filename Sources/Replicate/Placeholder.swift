public enum ReplicatePlaceholder {}
