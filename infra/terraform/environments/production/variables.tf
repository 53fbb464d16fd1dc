variable "region" {
  description = "The primary AWS region."
  type        = string
  default     = "ap-northeast-1"
}

variable "dr_region" {
  description = "A second region for disaster recovery (replicated backups and secrets), e.g. ap-northeast-3 (Osaka); null for none."
  type        = string
  default     = null
}

variable "availability_zones" {
  description = "Availability zones of the primary region to spread over."
  type        = list(string)
  default     = ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
}

variable "certificate_arn" {
  description = "ACM certificate of the public host name (issued in the primary region)."
  type        = string
}

variable "public_url" {
  description = "Where clients reach Renkei, e.g. https://api.renkei.example.jp."
  type        = string
}

variable "image_tag" {
  description = "The release the API and the worker run."
  type        = string
}

variable "migrations_image_tag" {
  description = "The release whose migrations the migrate task runs; null means image_tag."
  type        = string
  default     = null
}

variable "mail_from" {
  description = "The From of every email (RENKEI_MAIL_FROM), e.g. Renkei <no-reply@renkei.example.jp>: an address of a domain verified in Amazon SES. The SMTP URL with SES SMTP credentials goes into the smtp secret."
  type        = string
}

variable "platform_oidc" {
  description = "The operator's OpenID provider for individual professionals (issuer, client_id); null for none."
  type = object({
    issuer    = string
    client_id = string
  })
  default = null
}

variable "alarm_emails" {
  description = "Addresses that receive the alarms."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource (cost allocation, owner)."
  type        = map(string)
  default     = {}
}
