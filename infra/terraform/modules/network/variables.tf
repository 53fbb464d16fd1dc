variable "name" {
  description = "Prefix of every resource's name, e.g. renkei-production."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's IPv4 range; it is cut into /20 subnets per availability zone and tier."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Two or three availability zones of the region; every tier gets one subnet in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3
    error_message = "Give two or three availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper, for staging) instead of one per zone."
  type        = bool
  default     = false
}

variable "app_port" {
  description = "The port the API containers listen on (RENKEI_PORT)."
  type        = number
  default     = 8000
}

variable "kms_key_arn" {
  description = "The customer managed KMS key that encrypts the flow log group."
  type        = string
}

variable "flow_log_retention_days" {
  description = "How many days VPC flow logs are kept."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
