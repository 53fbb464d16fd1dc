variable "name" {
  description = "Prefix of every resource's name, e.g. renkei-production; secrets are named <name>/<what>."
  type        = string
}

variable "replica_regions" {
  description = "Regions the secrets are replicated to (the disaster-recovery region), each with its KMS key ARN there."
  type        = map(string)
  default     = {}
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (7 to 30)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
