variable "name" {
  description = "Prefix of every role's name, e.g. renkei-production."
  type        = string
}

variable "services" {
  description = "Per ECS task family (api, worker, migrations): the secrets its container reads and its log group."
  type = map(object({
    secret_arns   = list(string)
    log_group_arn = string
  }))
}

variable "kms_key_arn" {
  description = "The customer managed KMS key that encrypts the secrets and the images."
  type        = string
}

variable "ecr_repository_arn" {
  description = "The image repository the tasks pull from."
  type        = string
}

variable "proxy_secret_arns" {
  description = "Secrets RDS Proxy reads to authenticate its users (the application role's)."
  type        = list(string)
}

variable "tags" {
  description = "Tags added to every role."
  type        = map(string)
  default     = {}
}
