import { z } from "zod";

const names = z.array(z.string().min(1)).min(1);
const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, "not a valid regular expression");

/** One family of service clients and how its target is named. */
export const serviceSchema = z
  .object({
    programs: names.describe("Program names (lower-case basenames)"),
    default: z.enum(["local", "remote"]).describe("Where the client acts when no target is named"),
    host_options: z.array(z.string()).default([]).describe("Options whose value names the target"),
    url_operand: z.boolean().default(false).describe("A URL operand names the target"),
    env: z.array(z.string()).default([]).describe("Variables (prefix assignments) that name it"),
    local_names: regex.optional().describe("Target names that are local despite not being hosts"),
    remote: z.array(z.string()).describe("Examples that act on a remote target"),
    local: z.array(z.string()).describe("Examples that act on the guest"),
  })
  .strict();

export const servicesFileSchema = z
  .object({ name: z.string(), services: z.array(serviceSchema) })
  .strict();

export const programsFileSchema = z
  .object({ name: z.string(), metadata_only: names, extractors: names })
  .strict();

export type ServiceSpec = z.infer<typeof serviceSchema>;
