variable "name" {
  description = "Prefix of the task families, e.g. renkei-production (gives renkei-production-migrate)."
  type        = string
}

variable "image" {
  description = "The image whose migrations run: the release about to be deployed."
  type        = string
}

variable "environment" {
  description = "Plain environment variables (the same as the services')."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables from Secrets Manager (the same as the services': production settings require them all)."
  type        = map(string)
}

variable "app_password_secret" {
  description = "valueFrom of the application role's password (the app database secret's password key), for the bootstrap-role task."
  type        = string
}

variable "owner_url_secret" {
  description = "valueFrom of the owner's connection URL, for the bootstrap-role task."
  type        = string
}

variable "execution_role_arn" {
  description = "Execution role of the migrations family."
  type        = string
}

variable "task_role_arn" {
  description = "Task role of the migrations family."
  type        = string
}

variable "log_group_name" {
  description = "CloudWatch log group of the migrations' output."
  type        = string
}

variable "cpu" {
  description = "Task CPU units."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 1024
}

variable "cluster_name" {
  description = "The ECS cluster the task runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the task."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the task (reaches the database instance directly)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
