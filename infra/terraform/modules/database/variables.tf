variable "name" {
  description = "Prefix of every resource's name, e.g. renkei-production."
  type        = string
}

variable "subnet_ids" {
  description = "The data subnets (no internet route) of the instance and the proxy, in two or three zones."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the instance (PostgreSQL from the proxy and the migrations task)."
  type        = string
}

variable "proxy_security_group_id" {
  description = "Security group of RDS Proxy (PostgreSQL from the API and the worker)."
  type        = string
}

variable "kms_key_arn" {
  description = "The customer managed KMS key for storage, Performance Insights and log exports."
  type        = string
}

variable "owner_secret_arn" {
  description = "Secret that receives the owner's connection (JSON username, password, url)."
  type        = string
}

variable "app_secret_arn" {
  description = "Secret that receives renkei_app's connection through the proxy (JSON username, password, url)."
  type        = string
}

variable "proxy_role_arn" {
  description = "IAM role RDS Proxy assumes to read the application secret."
  type        = string
}

variable "monitoring_role_arn" {
  description = "IAM role of Enhanced Monitoring."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version: the major version alone, so that RDS applies minor upgrades in the maintenance window without Terraform seeing drift."
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "Instance class, e.g. db.m7g.large (2 vCPU, 8 GiB)."
  type        = string
  default     = "db.m7g.large"
}

variable "allocated_storage_gb" {
  description = "Initial gp3 storage in GiB."
  type        = number
  default     = 50
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 500
}

variable "multi_az" {
  description = "A synchronous standby in another zone with automatic failover."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups; point-in-time recovery reaches back this far (1 to 35)."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "Automated backups (and so point-in-time recovery) need 1 to 35 days."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "The database Renkei's schema lives in."
  type        = string
  default     = "renkei"
}

variable "owner_username" {
  description = "The master user: it owns the schema and runs migrations."
  type        = string
  default     = "renkei_owner"
}

variable "app_role" {
  description = "The application role bound by row-level security (RENKEI_APP_ROLE)."
  type        = string
  default     = "renkei_app"
}

variable "max_connections" {
  description = "PostgreSQL max_connections; each API or worker task opens up to 21 (a pool of 10 + 10 overflow, and the relay's listener)."
  type        = number
  default     = 400
}

variable "proxy_max_connections_percent" {
  description = "Share of max_connections RDS Proxy may open to the instance."
  type        = number
  default     = 90
}

variable "dr_backup_replication" {
  description = "Replicate automated backups to the aws.dr provider's region."
  type        = bool
  default     = false
}

variable "dr_kms_key_arn" {
  description = "KMS key in the disaster-recovery region for the replicated backups (when dr_backup_replication)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
