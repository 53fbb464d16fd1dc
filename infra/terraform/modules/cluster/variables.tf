variable "name" {
  description = "Name of the ECS cluster and the image repository, e.g. renkei-production."
  type        = string
}

variable "kms_key_arn" {
  description = "The customer managed KMS key that encrypts the images."
  type        = string
}

variable "images_kept" {
  description = "How many release images the repository keeps (older ones are deleted; keep enough to roll back)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
