variable "name" {
  description = "Prefix of every resource's name, e.g. renkei-production (at most 21 characters: target group names are short)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the target group."
  type        = string
}

variable "subnet_ids" {
  description = "The public subnets of the load balancer, in two or three zones."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate (in this region) of the public host name, e.g. api.renkei.example.jp."
  type        = string
}

variable "app_port" {
  description = "The port the API containers listen on (RENKEI_PORT)."
  type        = number
  default     = 8000
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer until this is turned off."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests one client address may send in 5 minutes before WAF blocks it."
  type        = number
  default     = 3000
}

variable "kms_key_arn" {
  description = "The customer managed KMS key of the WAF log group."
  type        = string
}

variable "log_retention_days" {
  description = "How many days the WAF log is kept."
  type        = number
  default     = 365
}

variable "access_log_retention_days" {
  description = "How many days the load balancer's access logs are kept in S3."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
